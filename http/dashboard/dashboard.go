// Package dashboard is Hive's web dashboard: hand-written HTML, CSS and
// JavaScript modules, embedded in the binary and served as they are, with
// no build step and nothing fetched from outside at run time.
//
// The page (index.html) loads app.js, which asks for a token, reads the
// /v1 views with it and follows GET /v1/live for changes. Every file lives
// flat under one prefix (see Prefix), so that the modules import each other
// by relative names.
//
// Every answer carries a strong ETag (a hash of the file) and
// Cache-Control: no-cache, so that a browser revalidates on each load and
// gets 304 until a new binary serves other bytes; and a Content-Security-Policy
// that lets the page load and connect to its own origin only.
package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"time"
)

// Prefix is the path under which the dashboard's files are served:
// Prefix + "app.js".
const Prefix = "/ui/"

// indexName is the page served at /.
const indexName = "index.html"

//go:embed ui
var files embed.FS

// contentTypes are the media types of the dashboard's files, by extension;
// a file of another extension is not served.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// securityPolicy confines the page to its own origin: scripts, styles,
// images and connections.
const securityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Asset is one file of the dashboard, ready to serve.
type Asset struct {
	// Name is the file's name, e.g. "app.js".
	Name        string
	ContentType string
	// ETag is the quoted hash of Body.
	ETag string
	Body []byte
}

// Files are the dashboard's files, read from the binary.
type Files struct {
	byName map[string]Asset
}

// New reads the embedded files.
func New() (*Files, error) {
	byName, err := load(files)
	if err != nil {
		return nil, err
	}
	return &Files{byName: byName}, nil
}

// load reads every file of fsys's ui directory.
func load(fsys fs.FS) (map[string]Asset, error) {
	entries, err := fs.ReadDir(fsys, "ui")
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	out := make(map[string]Asset, len(entries))
	for _, e := range entries {
		ct, ok := contentTypes[path.Ext(e.Name())]
		if e.IsDir() || !ok {
			return nil, fmt.Errorf("dashboard: ui/%s is neither a file nor of a served type", e.Name())
		}
		body, err := fs.ReadFile(fsys, "ui/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("dashboard: %w", err)
		}
		sum := sha256.Sum256(body)
		out[e.Name()] = Asset{Name: e.Name(), ContentType: ct, ETag: `"` + hex.EncodeToString(sum[:16]) + `"`, Body: body}
	}
	if _, ok := out[indexName]; !ok {
		return nil, fmt.Errorf("dashboard: ui/%s is missing", indexName)
	}
	return out, nil
}

// Index is the dashboard's page, served at /.
func (f *Files) Index() Asset { return f.byName[indexName] }

// Lookup returns the file served at Prefix + name, and whether there is one.
func (f *Files) Lookup(name string) (Asset, bool) {
	a, ok := f.byName[name]
	return a, ok
}

// ServeHTTP writes the file, or 304 when the request's If-None-Match has
// its ETag; HEAD gets the headers only.
func (a Asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("ETag", a.ETag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if a.Name == indexName {
		h.Set("Content-Security-Policy", securityPolicy)
	}
	http.ServeContent(w, r, a.Name, time.Time{}, bytes.NewReader(a.Body))
}
