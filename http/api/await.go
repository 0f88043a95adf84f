package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"hive/actors/decision"
)

// MaxResultWait bounds the wait of GET /v1/workflows/{id} and
// GET /v1/tasks/{id}: as long as the assignments' long poll, below the
// idle timeout of common proxies. A client that waits longer asks again.
const MaxResultWait = 60 * time.Second

// endedHeader says whether the run or task answered has ended: "true" or
// "false". A wait that passed, or that the server's shutdown cut short,
// answers 200 with the state as it is and "false".
const endedHeader = "Hive-Ended"

// watchFunc registers a wait for the next change of what a read answers:
// a channel closed at that change, and a function that forgets the watch.
type watchFunc func() (wake <-chan struct{}, stop func())

// lookFunc reads what a request answers and whether it has ended; when it
// cannot, it answers the problem itself and reports false.
type lookFunc func() (body any, ended, ok bool)

// resultWait reads the query's wait, a Go duration up to MaxResultWait;
// none is 0, no wait.
func resultWait(c *gin.Context) (time.Duration, error) {
	var f decision.Fields
	wait := parseDuration(&f, "wait", c.Query("wait"))
	if wait > MaxResultWait {
		f.Add("wait", fmt.Sprintf("must be at most %s", MaxResultWait))
	}
	return wait, f.Err()
}

// awaitEnd answers what look reads once it has ended, or as it is when
// the wait passes or the server begins to stop, whichever comes first;
// Hive-Ended says which. Without a watch it cannot wait (503). It looks again each time watch's channel wakes
// it, never on a timer: watch must be registered before look reads, so
// that no change falls between them. A wait of 0 answers at once.
func (s *Server) awaitEnd(c *gin.Context, wait time.Duration, watch watchFunc, look lookFunc) {
	if wait > 0 && watch == nil {
		writeProblem(c, Problem{Type: problemUnavailable, Status: http.StatusServiceUnavailable, Detail: "this server cannot wait: it keeps no read model to wake the wait"})
		return
	}
	if wait > 0 {
		s.holdOpen(c, wait+writeSlack)
	}
	expired := time.NewTimer(wait)
	defer expired.Stop()
	for {
		wake, stop := noWatch()
		if wait > 0 {
			wake, stop = watch()
		}
		body, ended, ok := look()
		if !ok || ended || wait == 0 {
			stop()
			if ok {
				c.Header(endedHeader, strconv.FormatBool(ended))
				c.JSON(http.StatusOK, body)
			}
			return
		}
		select {
		case <-wake:
		case <-expired.C:
			wait = 0
		case <-s.stopping:
			wait = 0
		case <-c.Request.Context().Done():
			stop()
			return
		}
		stop()
	}
}

// noWatch is the watch of a read that does not wait: it never wakes.
func noWatch() (<-chan struct{}, func()) { return nil, func() {} }
