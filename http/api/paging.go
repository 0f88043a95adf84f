package api

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"hive/actors/decision"
)

// Paging of lists: ?limit=N (1 to maxPageLimit, default defaultPageLimit)
// and ?cursor=C, where C is the next_cursor of the previous page. Cursors
// are opaque to clients; they name the list they belong to, so that one is
// not used for another.
const (
	defaultPageLimit = 100
	maxPageLimit     = 1000
)

// pageRequest is where a page of a list starts and how long it is.
type pageRequest struct {
	from, limit int
}

// readPage reads limit and cursor for the list named list.
func readPage(c *gin.Context, list string) (pageRequest, error) {
	p := pageRequest{limit: defaultPageLimit}
	if raw, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxPageLimit {
			return p, malformed("limit", fmt.Sprintf("must be an integer from 1 to %d", maxPageLimit))
		}
		p.limit = n
	}
	if raw := c.Query("cursor"); raw != "" {
		from, err := decodeCursor(list, raw)
		if err != nil {
			return p, malformed("cursor", "is not a cursor of this list; pass next_cursor from the previous page unchanged")
		}
		p.from = from
	}
	return p, nil
}

// cursorPrefix versions the cursor format.
const cursorPrefix = "c1:"

func encodeCursor(list string, next int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + list + ":" + strconv.Itoa(next)))
}

func decodeCursor(list, raw string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return 0, err
	}
	rest, ok := strings.CutPrefix(string(b), cursorPrefix+list+":")
	if !ok {
		return 0, fmt.Errorf("cursor of another list")
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad cursor offset %s", decision.Quote(rest))
	}
	return n, nil
}

// writePage answers a page of list: its items under the list's name, and
// next_cursor when there is more.
func writePage[T any](c *gin.Context, list string, items []T, next int) {
	body := gin.H{list: items}
	if next > 0 {
		body["next_cursor"] = encodeCursor(list, next)
	}
	c.JSON(200, body)
}
