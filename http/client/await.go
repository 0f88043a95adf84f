package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MaxResultWait is the longest wait one read of a run or a task may ask
// Hive for; AwaitRun and AwaitTask ask again until theirs passes.
const MaxResultWait = 60 * time.Second

// endedHeader is Hive's answer to whether a run or task has ended.
const endedHeader = "Hive-Ended"

// Await bounds a wait for a run or a task to end.
type Await struct {
	// Timeout is how long to wait in all; 0 waits until the run or task
	// ends, or the context does.
	Timeout time.Duration
	// MinPosition, if not 0, is the position of a command whose effect
	// the first read must show (read your own writes): e.g. the Position
	// of a task's submission, so that the task is known.
	MinPosition uint64
}

// AwaitRun returns the run id once it has ended (Ended: completed, failed,
// cancelled or budget_exhausted), or as it is, with Ended false, when
// a.Timeout passes. Each request asks Hive to hold it until the run ends,
// at most MaxResultWait; Hive answers at once when the run changes, so
// nothing polls. A server shutting down answers early; the next request
// is retried like any read until the server is back.
func (c *Client) AwaitRun(ctx context.Context, id string, a Await) (Run, error) {
	var r Run
	ended, err := c.await(ctx, runPath(id), a, func() any {
		r = Run{}
		return &r
	})
	r.Ended = ended
	return r, err
}

// AwaitTask returns the task id once it has ended (Ended: completed,
// failed for good or cancelled), or as it is, with Ended false, when
// a.Timeout passes; it waits as AwaitRun does.
func (c *Client) AwaitTask(ctx context.Context, id string, a Await) (Task, error) {
	var t Task
	ended, err := c.await(ctx, taskPath(id), a, func() any {
		t = Task{}
		return &t
	})
	t.Ended = ended
	return t, err
}

// await reads path, each time asking Hive to wait for the end, until an
// answer has ended or a's timeout passes, and reports whether the last
// answer had ended. fresh returns where to decode each answer. An answer
// that came early without the end (a server shutting down, or one that
// does not wait) is followed by a pause of RetryBackoff, so that a server
// that does not hold the request is not asked again and again.
func (c *Client) await(ctx context.Context, path string, a Await, fresh func() any) (bool, error) {
	var deadline time.Time
	if a.Timeout > 0 {
		deadline = time.Now().Add(a.Timeout)
	}
	for {
		wait := MaxResultWait
		if !deadline.IsZero() {
			wait = min(wait, time.Until(deadline).Truncate(time.Millisecond))
		}
		q := url.Values{}
		if wait > 0 {
			q.Set("wait", wait.String())
		}
		if a.MinPosition > 0 {
			q.Set("min_position", strconv.FormatUint(a.MinPosition, 10))
		}
		asked := time.Now()
		h, err := c.send(ctx, request{retry: retrying, method: http.MethodGet, path: path + "?" + q.Encode(), out: fresh()})
		if err != nil {
			return false, err
		}
		ended := h.Get(endedHeader) == "true"
		if ended || (!deadline.IsZero() && !time.Now().Before(deadline)) {
			return ended, nil
		}
		if time.Since(asked) < wait {
			if err := pause(ctx, c.cfg.RetryBackoff); err != nil {
				return false, err
			}
		}
	}
}

// pause waits d, or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
