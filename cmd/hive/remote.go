package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// remoteOptions are the flags of commands that call a running Hive.
type remoteOptions struct {
	server  string
	token   string
	dataDir string
	output  string
	// store is --store of the log tools: the store to read directly.
	store string
}

func (o *remoteOptions) register(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&o.server, "server", "http://127.0.0.1:8080", "Hive's URL (env HIVE_SERVER)")
	f.StringVar(&o.token, "token", "", "API token (env HIVE_TOKEN); without one, the admin token in <data-dir>/admin.token")
	f.StringVar(&o.dataDir, "data-dir", "./data", "data dir of a local Hive, whose admin.token is used when no token is given (env HIVE_DATA_DIR)")
	envFlags(f, map[string]string{"server": "HIVE_SERVER", "token": "HIVE_TOKEN", "data-dir": "HIVE_DATA_DIR"})
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
}

func (o *remoteOptions) validate() error {
	if o.output != "table" && o.output != "json" {
		return fmt.Errorf("--output %q: want table or json", o.output)
	}
	return nil
}

// bearer is the token to send: --token, HIVE_TOKEN, or the admin token file.
func (o *remoteOptions) bearer() (string, error) {
	if o.token != "" {
		return o.token, nil
	}
	path := filepath.Join(o.dataDir, adminTokenFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("no token: pass --token or set HIVE_TOKEN (reading %s: %w)", path, err)
	}
	return strings.TrimSpace(string(raw)), nil
}

// problemError is an error answer of the API.
type problemError struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

func (e *problemError) Error() string {
	msg := fmt.Sprintf("%d %s: %s", e.Status, e.Title, e.Detail)
	for _, f := range e.Errors {
		msg += fmt.Sprintf("; %s %s", f.Field, f.Reason)
	}
	return msg
}

// call sends a request to Hive and decodes a 2xx answer's JSON into out
// (if not nil); another answer is a *problemError.
func (o *remoteOptions) call(ctx context.Context, method, path string, body, out any) error {
	bearer, err := o.bearer()
	if err != nil {
		return err
	}
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(o.server, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		p := &problemError{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
		if json.Unmarshal(raw, p) != nil || p.Detail == "" {
			p.Detail = strings.TrimSpace(string(raw))
		}
		return fmt.Errorf("%s %s: %w", method, path, p)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, path, errors.Join(err, fmt.Errorf("%.200s", raw)))
	}
	return nil
}
