package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/engine"
)

// The request decoders are fuzzed through the real handler, with the fakes
// of the hostile-input tests behind it. Whatever is sent, the server never
// answers 5xx, and a call that changes something is only ever made for a
// request that is valid by the API's own rules.

// fuzzDo sends one request to the handler in-process.
func fuzzDo(h *hostileServer, method, target string, header map[string]string, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://cutover.test/", strings.NewReader(body))
	r.URL.Path, r.URL.RawPath, r.RequestURI = target, "", target
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.handler.ServeHTTP(w, r)
	return w
}

// jsonObject reports whether body is exactly one JSON object.
func jsonObject(body string) bool {
	b := bytes.TrimSpace([]byte(body))
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

func checkAnswer(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("got %d %.300q, want no 5xx", w.Code, w.Body.String())
	}
	checkHeaders(t, fmt.Sprintf("answer %d", w.Code), w.Result().Header)
}

// wantNames fails unless every call names a container the fakes know.
func wantNames(t *testing.T, calls []string, verbs ...string) {
	t.Helper()
	var allowed []string
	for _, n := range hostileNames {
		allowed = append(allowed, fmt.Sprintf("update %q", []string{n}),
			fmt.Sprintf("set auto-update of %q to true", n), fmt.Sprintf("set auto-update of %q to false", n),
			fmt.Sprintf("skip %q", n), fmt.Sprintf("unskip %q", n))
	}
	for _, c := range calls {
		if !slices.Contains(allowed, c) || !slices.ContainsFunc(verbs, func(v string) bool { return strings.HasPrefix(c, v) }) {
			t.Fatalf("got call %q, want only %v of a known container", c, verbs)
		}
	}
}

func FuzzDeployRequest(f *testing.F) {
	for _, s := range []struct{ ct, body string }{
		{"application/json", `{"container":"nginx","image":"nginx:1.27"}`},
		{"application/json; charset=utf-8", `{"container":"/app","image":"127.0.0.1:5000/team/app:1.2","force":true,"registry":{"serveraddress":"r","username":"u","password":"p"}}`},
		{"application/json", `{"container":" ","image":"nginx"}`},
		{"application/json", `{"container":"nginx","image":"nginx@sha256:0000"}`},
		{"application/json", `{"container":"nginx","image":"nginx","extra":1}`},
		{"application/json", `{"container":["nginx"]}`},
		{"application/json", `null`},
		{"application/json", `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`},
		{"text/plain", `{"container":"nginx","image":"nginx"}`},
		{"", ``},
		{"application/json", `{"container":"nginx","image":"nginx"}{}`},
		{"application/json", "{\"container\":\"a\\r\\nX-Injected: 1\",\"image\":\"nginx\"}"},
	} {
		f.Add(s.ct, s.body)
	}
	h := newHostileServer(f, hostileOptions{fuzzing: true})
	f.Fuzz(func(t *testing.T, contentType, body string) {
		w := fuzzDo(h, "POST", "/update", map[string]string{"Authorization": "Bearer " + hostileKey, "Content-Type": contentType}, body)
		checkAnswer(t, w)
		calls, reqs := h.rec.take(), h.deployer.takeRequests()
		if w.Code >= 400 && len(calls) > 0 {
			t.Fatalf("got %d, but the request reached %q", w.Code, calls)
		}
		for _, req := range reqs {
			if w.Code != http.StatusOK {
				t.Fatalf("got %d after a deploy, want 200", w.Code)
			}
			if !jsonObject(body) {
				t.Fatalf("body %q is not a JSON object, yet it deployed %+v", body, req)
			}
			if req.Container == "" || req.Container != strings.TrimSpace(req.Container) {
				t.Fatalf("deployed container %q, want a trimmed, non-empty name", req.Container)
			}
			if _, err := engine.ParseReference(req.Image); err != nil {
				t.Fatalf("deployed image %q, which does not parse: %v", req.Image, err)
			}
		}
	})
}

func FuzzAutoUpdateRequest(f *testing.F) {
	ids := []string{"nginx", "3d4c5b6a7f8e", "unknown", "eeeeeeeeeeee"}
	for i, body := range []string{``, `{}`, `{"auto_update":true}`, `{"auto_update":false}`, `{"auto_update":null}`, `null`, `{"auto_update":"yes"}`, `{"autoupdate":true}`, `[true]`, `{"auto_update":true}{}`, " \n\t", `{"auto_update":tru`} {
		f.Add(uint8(i), body)
	}
	h := newHostileServer(f, hostileOptions{fuzzing: true})
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		w := fuzzDo(h, "POST", "/api/images/"+ids[int(which)%len(ids)]+"/auto-update", map[string]string{"Authorization": "Bearer " + hostileKey}, body)
		checkAnswer(t, w)
		calls := h.rec.take()
		if len(calls) == 0 {
			return
		}
		if w.Code != http.StatusOK {
			t.Fatalf("got %d, but the request reached %q", w.Code, calls)
		}
		if strings.TrimSpace(body) != "" && !jsonObject(body) {
			t.Fatalf("body %q is neither empty nor a JSON object, yet it reached %q", body, calls)
		}
		wantNames(t, calls, "set auto-update")
	})
}

func FuzzLoginRequest(f *testing.F) {
	for _, body := range []string{
		`{"user":"admin","pass":"` + hostilePassword + `"}`, `{"user":"admin","pass":"wrong"}`, `{"user":"admin"}`, `{}`, ``, `null`,
		`{"user":1,"pass":2}`, `{"user":"admin","pass":"` + hostilePassword + `","x":1}`, `{"user":"admin","pass":"` + hostilePassword + `"} {}`,
		`{"User":"admin","Pass":"` + hostilePassword + `"}`, `{"user":"\u0061dmin","pass":"` + hostilePassword + `"}`,
	} {
		f.Add(body)
	}
	h := newHostileServer(f, hostileOptions{fuzzing: true})
	f.Fuzz(func(t *testing.T, body string) {
		w := fuzzDo(h, "POST", "/api/login", nil, body)
		checkAnswer(t, w)
		calls := h.rec.take()
		if len(calls) == 0 {
			if w.Code == http.StatusOK {
				t.Fatalf("got 200 for %q without a session opened", body)
			}
			return
		}
		if w.Code != http.StatusOK {
			t.Fatalf("got %d, but a session was opened: %q", w.Code, calls)
		}
		var got struct{ User, Pass string }
		if !jsonObject(body) || json.Unmarshal([]byte(body), &got) != nil || got.User != hostileUser || got.Pass != hostilePassword {
			t.Fatalf("body %q opened a session: %q", body, calls)
		}
		if len(w.Result().Cookies()) != 1 {
			t.Fatalf("login: got cookies %v, want the session cookie", w.Result().Cookies())
		}
	})
}

func FuzzGroupUpdateRequest(f *testing.F) {
	for _, body := range []string{
		`{"image":"nginx:latest"}`, `{"image":"nginx"}`, `{"image":"docker.io/library/nginx"}`, `{"image":"127.0.0.1:5000/team/app:1.2"}`,
		`{"image":"evil"}`, `{"image":""}`, `{"image":" "}`, `{}`, `null`, ``, `{"image":1}`, `{"image":"nginx","x":1}`, `{"image":"Foo::bar"}`,
		`{"image":"nginx"}]`,
	} {
		f.Add(body)
	}
	h := newHostileServer(f, hostileOptions{fuzzing: true})
	f.Fuzz(func(t *testing.T, body string) {
		w := fuzzDo(h, "POST", "/api/groups/update", map[string]string{"Authorization": "Bearer " + hostileKey}, body)
		checkAnswer(t, w)
		calls := h.rec.take()
		if len(calls) == 0 {
			return
		}
		if w.Code != http.StatusOK || !jsonObject(body) {
			t.Fatalf("got %d for body %q, but it reached %q", w.Code, body, calls)
		}
		wantNames(t, calls, "update")
	})
}

// FuzzRequestTarget sends any method and request target, parsed as the
// server parses a request line, with any body: it covers the path
// parameters of /api/images/{id}/{action}, /api/groups/{image}/update and
// /update/{id}, and the query of /v1/update.
func FuzzRequestTarget(f *testing.F) {
	for _, s := range []struct{ method, target, body string }{
		{"POST", "/api/images/nginx/update", ""},
		{"POST", "/api/images/3d4c5b6a7f8e/auto-update", `{"auto_update":true}`},
		{"POST", "/api/images/nginx/update?force=true", `{"force":false}`},
		{"POST", "/api/images/nginx/skip", ""},
		{"DELETE", "/api/images/3d4c5b6a7f8e/skip", ""},
		{"POST", "/api/groups/update?force=1", `{"image":"nginx","force":true}`},
		{"POST", "/v1/update?image=nginx&force=maybe", ""},
		{"GET", "/api/images/nginx/progress", ""},
		{"POST", "/api/images/..%2F..%2Fetc%2Fpasswd/update", ""},
		{"POST", "/api/images/%00/update", ""},
		{"POST", "/api/images/nginx%252Fx/update", ""},
		{"POST", "/api/groups/nginx/update", ""},
		{"POST", "/api/groups/127.0.0.1:5000%2Fteam%2Fapp:1.2/update", ""},
		{"POST", "/api/groups/evil%0D%0AX-Injected:%201/update", ""},
		{"POST", "/api/groups/update", `{"image":"nginx"}`},
		{"GET", "/update/..%2F..", ""},
		{"GET", "/v1/update?image=nginx,Foo::bar", ""},
		{"POST", "/v1/update?image=%ZZ", ""},
		{"POST", "/v1/update?image=nginx;x&async=true", ""},
		{"GET", "/api/history?limit=1e3&container=%00", ""},
		{"POST", "/api/login", `{"user":"admin","pass":"x"}`},
		{"GET", "/api/events", ""},
		{"POST", "/api/check", ""},
		{"GET", "/api/images/../images", ""},
		{"FOO", "*", ""},
	} {
		f.Add(s.method, s.target, s.body)
	}
	h := newHostileServer(f, hostileOptions{fuzzing: true})
	f.Fuzz(func(t *testing.T, method, target, body string) {
		raw := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: cutover.test\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s", method, target, hostileKey, len(body), body)
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return // the server answers 400 before any handler runs
		}
		w := httptest.NewRecorder()
		h.handler.ServeHTTP(w, r)
		checkAnswer(t, w)
		calls, images := h.rec.take(), h.rec.triggered()
		if len(calls) == 0 {
			return
		}
		if w.Code < 200 || w.Code > 299 {
			t.Fatalf("%s %q: got %d, but the request reached %q", method, target, w.Code, calls)
		}
		for _, img := range images {
			if _, err := engine.ParseReference(img); err != nil {
				t.Fatalf("%s %q: a pass was asked for image %q, which does not parse: %v", method, target, img, err)
			}
		}
		var other []string
		for _, c := range calls {
			if !strings.HasPrefix(c, "trigger") && c != "prune" && c != "refresh" && !strings.HasPrefix(c, "open session") {
				other = append(other, c)
			}
		}
		wantNames(t, other, "update", "set auto-update", "skip", "unskip")
	})
}
