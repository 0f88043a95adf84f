package dashboard

import (
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func open(t *testing.T) *Files {
	t.Helper()
	f, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func serve(a Asset, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, Prefix+a.Name, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	return rec
}

func TestEveryFileIsServedWithItsType(t *testing.T) {
	f := open(t)
	want := map[string]string{".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
		".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
	for name := range f.byName {
		a, ok := f.Lookup(name)
		if !ok {
			t.Fatalf("Lookup does not find %s", name)
		}
		rec := serve(a, nil)
		h := rec.Header()
		if rec.Code != http.StatusOK || h.Get("Content-Type") != want[path.Ext(name)] || rec.Body.String() != string(a.Body) {
			t.Errorf("%s: %d %q, want 200 %q and the file", name, rec.Code, h.Get("Content-Type"), want[path.Ext(name)])
		}
		if h.Get("ETag") != a.ETag || h.Get("Cache-Control") != "no-cache" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: ETag %q, Cache-Control %q, X-Content-Type-Options %q", name, h.Get("ETag"), h.Get("Cache-Control"), h.Get("X-Content-Type-Options"))
		}
	}
	for _, name := range []string{"nope.js", "../dashboard.go", "ui/app.js", ""} {
		if _, ok := f.Lookup(name); ok {
			t.Errorf("Lookup(%q) found a file", name)
		}
	}
}

func TestAKnownETagIsNotModified(t *testing.T) {
	f := open(t)
	a, _ := f.Lookup("app.js")
	tests := []struct {
		name        string
		ifNoneMatch string
		status      int
	}{
		{"same file", a.ETag, http.StatusNotModified},
		{"another file", `"0123"`, http.StatusOK},
		{"no validator", "", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.ifNoneMatch != "" {
				h.Set("If-None-Match", tc.ifNoneMatch)
			}
			rec := serve(a, h)
			if rec.Code != tc.status {
				t.Fatalf("If-None-Match %q: %d, want %d", tc.ifNoneMatch, rec.Code, tc.status)
			}
			if tc.status == http.StatusNotModified && rec.Body.Len() != 0 {
				t.Errorf("304 with a body of %d bytes", rec.Body.Len())
			}
		})
	}
}

// svgNamespace is the one URL the files may name: it is an identifier,
// never fetched.
const svgNamespace = "http://www.w3.org/2000/svg"

var (
	anyURL       = regexp.MustCompile(`(?i)\b(https?:|wss?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	moduleImport = regexp.MustCompile(`(?m)^import [^;]*? from '\./([^']+)';$`)
	pageRef      = regexp.MustCompile(`(?:src|href)="/ui/([^"]+)"`)
)

func TestTheFilesFetchNothingFromOutside(t *testing.T) {
	f := open(t)
	for name := range f.byName {
		a, _ := f.Lookup(name)
		text := strings.ReplaceAll(string(a.Body), svgNamespace, "")
		if m := anyURL.FindString(text); m != "" {
			t.Errorf("%s names another origin: %s", name, m)
		}
	}
	csp := serve(f.Index(), nil).Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("the page's Content-Security-Policy %q lacks %q", csp, want)
		}
	}
}

func TestEveryModuleAndReferenceResolves(t *testing.T) {
	f := open(t)
	refs := map[string][]string{}
	for _, m := range pageRef.FindAllStringSubmatch(string(f.Index().Body), -1) {
		refs[indexName] = append(refs[indexName], m[1])
	}
	for name := range f.byName {
		if path.Ext(name) != ".js" {
			continue
		}
		a, _ := f.Lookup(name)
		for _, m := range moduleImport.FindAllStringSubmatch(string(a.Body), -1) {
			refs[name] = append(refs[name], m[1])
		}
	}
	if len(refs[indexName]) < 3 || len(refs["app.js"]) < 5 {
		t.Fatalf("found references %v: the patterns no longer match the files", refs)
	}
	for from, names := range refs {
		for _, name := range names {
			if _, ok := f.Lookup(name); !ok {
				t.Errorf("%s refers to %s, which is not served", from, name)
			}
		}
	}
}

func TestLoadRefusesWhatItCannotServe(t *testing.T) {
	page := &fstest.MapFile{Data: []byte("<!doctype html>")}
	tests := []struct {
		name  string
		fsys  fstest.MapFS
		valid bool
	}{
		{"page and script", fstest.MapFS{"ui/index.html": page, "ui/app.js": {Data: []byte("x")}}, true},
		{"no page", fstest.MapFS{"ui/app.js": {Data: []byte("x")}}, false},
		{"unknown type", fstest.MapFS{"ui/index.html": page, "ui/app.exe": {Data: []byte("x")}}, false},
		{"a directory", fstest.MapFS{"ui/index.html": page, "ui/more/app.js": {Data: []byte("x")}}, false},
		{"no ui directory", fstest.MapFS{"index.html": page}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(tc.fsys)
			if (err == nil) != tc.valid {
				t.Fatalf("load: %v, want valid %v", err, tc.valid)
			}
		})
	}
}
