package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestPageFilesExist checks that every file the page loads is served.
func TestPageFilesExist(t *testing.T) {
	h := Handler()
	page := get(t, h, "/", nil)
	if page.Code != http.StatusOK {
		t.Fatalf("GET /: got %d, want 200", page.Code)
	}
	refs := regexp.MustCompile(`(?:src|href)="(/[^"]*)"`).FindAllStringSubmatch(page.Body.String(), -1)
	if len(refs) < 3 {
		t.Fatalf("page references %d files, want the script, the style sheet and the icon", len(refs))
	}
	for _, m := range refs {
		if rec := get(t, h, m[1], nil); rec.Code != http.StatusOK {
			t.Errorf("GET %s (referenced by the page): got %d, want 200", m[1], rec.Code)
		}
	}
}

func TestNoThirdParty(t *testing.T) {
	scripts, _ := fs.Glob(files, "assets/*.js")
	styles, err := fs.Glob(files, "assets/*.css")
	names := append(scripts, styles...)
	if err != nil || len(names) < 4 {
		t.Fatalf("scripts and style sheets: got %v (err %v), want app.js, its modules and app.css", names, err)
	}
	for _, name := range append(names, "index.html") {
		b, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"http://", "https://", "innerHTML", "eval("} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s contains %q: the page loads nothing from elsewhere and never builds HTML from strings", name, bad)
			}
		}
	}
}

func TestRevalidation(t *testing.T) {
	h := Handler()
	first := get(t, h, "/assets/app.js", nil)
	etag := first.Header().Get("ETag")
	if etag == "" || first.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("app.js: ETag %q Cache-Control %q, want an ETag and no-cache", etag, first.Header().Get("Cache-Control"))
	}
	if again := get(t, h, "/assets/app.js", map[string]string{"If-None-Match": etag}); again.Code != http.StatusNotModified {
		t.Errorf("app.js with its ETag: got %d, want 304", again.Code)
	}
}

// TestModulesServed checks that every module app.js imports is served.
func TestModulesServed(t *testing.T) {
	h := Handler()
	js := get(t, h, "/assets/app.js", nil).Body.String()
	modules, _ := fs.Glob(files, "assets/*.js")
	for _, name := range modules {
		b, _ := files.ReadFile(name)
		js += string(b)
	}
	imports := regexp.MustCompile(`from '\./([a-z]+\.js)'`).FindAllStringSubmatch(js, -1)
	if len(imports) == 0 {
		t.Fatal("app.js imports no module")
	}
	imported := map[string]bool{"app.js": true}
	for _, m := range imports {
		imported[m[1]] = true
	}
	for _, name := range modules {
		if !imported[path.Base(name)] {
			t.Errorf("%s is imported by no module: the page never runs it", name)
		}
	}
	for _, m := range imports {
		rec := get(t, h, "/assets/"+m[1], nil)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Errorf("module %s: got %d %q, want 200 text/javascript", m[1], rec.Code, rec.Header().Get("Content-Type"))
		}
	}
}
