package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Page is one page of a list.
type Page[T any] struct {
	Items []T
	// NextCursor fetches the next page; "" at the end of the list. (The
	// event log gives one also at its end, to poll for what comes next.)
	NextCursor string
}

// PageRequest says which page of a list to read.
type PageRequest struct {
	// Limit is the page's length, 1 to 1000; 0 means Hive's default (100).
	Limit int
	// Cursor is the NextCursor of the previous page; "" for the first.
	Cursor string
}

func (p PageRequest) query() url.Values {
	q := url.Values{}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	return q
}

// setIf sets key in q to value unless value is empty.
func setIf(q url.Values, key, value string) {
	if value != "" {
		q.Set(key, value)
	}
}

// list reads a page of the list that Hive answers under key at path?q.
func list[T any](ctx context.Context, c *Client, path string, q url.Values, key string) (Page[T], error) {
	var body map[string]json.RawMessage
	if enc := q.Encode(); enc != "" {
		path += "?" + enc
	}
	if err := c.do(ctx, retrying, http.MethodGet, path, nil, &body); err != nil {
		return Page[T]{}, err
	}
	var p Page[T]
	if err := json.Unmarshal(body[key], &p.Items); err != nil && body[key] != nil {
		return Page[T]{}, fmt.Errorf("GET %s: decode %s: %w", path, key, err)
	}
	if raw, ok := body["next_cursor"]; ok {
		if err := json.Unmarshal(raw, &p.NextCursor); err != nil {
			return Page[T]{}, fmt.Errorf("GET %s: decode next_cursor: %w", path, err)
		}
	}
	return p, nil
}
