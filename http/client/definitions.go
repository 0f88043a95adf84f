package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Definition is a saved, versioned workflow definition.
type Definition struct {
	ID       string              `json:"id"`
	Name     string              `json:"name"`
	Versions []DefinitionVersion `json:"versions"`
	// Position is the log position of a save's last event; 0 in reads.
	Position uint64 `json:"position,omitempty"`
	// Raw is the definition's JSON as Hive answered it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a definition, keeping its JSON in Raw.
func (d *Definition) UnmarshalJSON(b []byte) error {
	type plain Definition
	return unmarshalKeepingRaw(b, (*plain)(d), &d.Raw)
}

// DefinitionVersion is one version of a definition; each save that changes
// it is a new one.
type DefinitionVersion struct {
	Version     int             `json:"version"`
	Description string          `json:"description,omitempty"`
	Steps       json.RawMessage `json:"steps"`
	SavedAt     time.Time       `json:"saved_at"`
}

// NewDefinition is what a definition is saved with.
type NewDefinition struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Steps is the DAG, a JSON array of steps (see the README).
	Steps json.RawMessage `json:"steps"`
}

// SaveDefinition saves a definition under its name: a new version if the
// steps or description changed, else nothing. It is retried.
func (c *Client) SaveDefinition(ctx context.Context, d NewDefinition, opts ...CallOption) (Definition, error) {
	var out Definition
	_, err := c.command(ctx, request{retry: retrying, method: http.MethodPost, path: "/v1/workflow-definitions", body: d, out: &out}, opts)
	return out, err
}

// ListDefinitions returns a page of the definitions.
func (c *Client) ListDefinitions(ctx context.Context, p PageRequest) (Page[Entry], error) {
	return list[Entry](ctx, c, "/v1/workflow-definitions", p.query(), "definitions")
}

// Definition returns the definition id with every version.
func (c *Client) Definition(ctx context.Context, id string) (Definition, error) {
	var d Definition
	err := c.do(ctx, retrying, http.MethodGet, "/v1/workflow-definitions/"+url.PathEscape(id), nil, &d)
	return d, err
}
