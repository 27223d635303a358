package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
)

// Headers of the clients each surface expects.
var (
	machineJSON  = []string{"Authorization: Bearer " + hostileKey, "Content-Type: application/json"}
	dashboardKey = []string{"Authorization: Bearer " + hostileKey}
)

// badBodies are bodies no JSON endpoint may accept.
func badBodies() map[string]string {
	return map[string]string{
		"over the limit":           `{"x":"` + strings.Repeat("a", 70<<10) + `"}`,
		"10 MiB":                   `{"x":"` + strings.Repeat("a", 10<<20) + `"}`,
		"100000 nested arrays":     strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
		"30000 nested arrays":      strings.Repeat("[", 30000) + strings.Repeat("]", 30000),
		"12000 nested objects":     strings.Repeat(`{"a":`, 12000) + "1" + strings.Repeat("}", 12000),
		"nested in a field":        `{"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`,
		"open brace":               `{`,
		"close brace":              `}`,
		"unterminated key":         `{"a"`,
		"missing value":            `{"image":}`,
		"bare word":                `nul`,
		"single quotes":            `{'image':'nginx'}`,
		"trailing comma":           `{"image":"nginx",}`,
		"utf-16 bom":               "\xff\xfe{\x00}\x00",
		"utf-8 bom":                "\xef\xbb\xbf{}",
		"invalid utf-8":            "{\"image\":\"\xff\xfe",
		"nul byte":                 "\x00",
		"nul after object":         "{}\x00",
		"two objects":              `{}{}`,
		"object then array":        `{} []`,
		"array":                    `[]`,
		"array of objects":         `[{"image":"nginx","container":"nginx","user":"admin","pass":"x","auto_update":true}]`,
		"string":                   `"nginx"`,
		"number":                   `123`,
		"true":                     `true`,
		"null":                     `null`,
		"huge number":              `{"image":1e999}`,
		"unknown field":            `{"no_such_field":1}`,
		"unknown field, nested":    `{"registry":{"token":"x"}}`,
		"case-folded unknown":      `{"IMAGE":"nginx","no_such_field":true}`,
		"prototype pollution":      `{"__proto__":{"admin":true}}`,
		"operator injection":       `{"image":{"$ne":null},"container":{"$ne":null},"user":{"$ne":""},"pass":{"$ne":""},"auto_update":{"$ne":false}}`,
		"only whitespace escapes":  `{"image":"\u0000","container":"\u0000","user":"\u0000","pass":"\u0000","auto_update":"\u0000"}`,
		"lone surrogate, no match": `{"image":"\ud800","container":"\ud800","user":"\ud800","pass":"\ud800","auto_update":"\ud800"}`,
	}
}

// probe is one hostile request and what the test allows back.
type probe struct {
	name string
	req  rawRequest
	// redirect also accepts 3xx: the router answers a path it must clean
	// with a redirect to the clean path.
	redirect bool
}

func bodyProbes() []probe {
	endpoints := []struct {
		name, target string
		header       []string
		extra        map[string]string
	}{
		{"POST /update", "/update", machineJSON, map[string]string{
			"missing both":         `{}`,
			"blank container":      `{"container":"   ","image":"nginx"}`,
			"blank image":          `{"container":"nginx","image":"  "}`,
			"short digest":         `{"container":"nginx","image":"nginx@sha256:` + strings.Repeat("0", 63) + `"}`,
			"md5 digest":           `{"container":"nginx","image":"nginx@md5:` + strings.Repeat("0", 32) + `"}`,
			"two digests":          `{"container":"nginx","image":"nginx@sha256:` + strings.Repeat("0", 64) + `@sha256:` + strings.Repeat("0", 64) + `"}`,
			"image id":             `{"container":"nginx","image":"sha256:` + strings.Repeat("0", 64) + `"}`,
			"bad reference":        `{"container":"nginx","image":"Foo::bar"}`,
			"dot path":             `{"container":"nginx","image":"docker.io/./"}`,
			"traversal image":      `{"container":"nginx","image":"../../etc/passwd"}`,
			"url image":            `{"container":"nginx","image":"http://evil.example/x"}`,
			"crlf image":           `{"container":"nginx","image":"nginx:latest\r\nX-Injected: 1"}`,
			"nul image":            `{"container":"nginx","image":"nginx\u0000:latest"}`,
			"long repository":      `{"container":"nginx","image":"` + strings.Repeat("a", 300) + `"}`,
			"long tag":             `{"container":"nginx","image":"nginx:` + strings.Repeat("x", 200) + `"}`,
			"container array":      `{"container":["nginx"],"image":"nginx"}`,
			"image number":         `{"container":"nginx","image":5}`,
			"force string":         `{"container":"nginx","image":"nginx","force":"yes"}`,
			"registry string":      `{"container":"nginx","image":"nginx","registry":"user:pass"}`,
			"registry extra field": `{"container":"nginx","image":"nginx","registry":{"username":"u","password":"p","email":"e"}}`,
			"tag field":            `{"container":"nginx","image":"nginx","tag":"1"}`,
			"trailing data":        `{"container":"nginx","image":"nginx"} x`,
		}},
		{"POST auto-update", "/api/images/nginx/auto-update", dashboardKey, map[string]string{
			"string value":   `{"auto_update":"true"}`,
			"number value":   `{"auto_update":1}`,
			"array value":    `{"auto_update":[true]}`,
			"object value":   `{"auto_update":{}}`,
			"misspelt":       `{"autoupdate":true}`,
			"camel case":     `{"autoUpdate":true,"x":1}`,
			"duplicate, bad": `{"auto_update":true,"auto_update":"x"}`,
			"trailing data":  `{"auto_update":true} {"auto_update":false}`,
		}},
		{"POST /api/login", "/api/login", nil, map[string]string{
			"numbers":                   `{"user":1,"pass":2}`,
			"other names":               `{"username":"admin","password":"` + hostilePassword + `"}`,
			"right, with an extra":      `{"user":"admin","pass":"` + hostilePassword + `","remember":true}`,
			"right, then trailing data": `{"user":"admin","pass":"` + hostilePassword + `"} {}`,
			"right, as an array":        `["admin","` + hostilePassword + `"]`,
			"wrong password":            `{"user":"admin","pass":"` + hostilePassword + `x"}`,
			"password in the user":      `{"user":"` + hostilePassword + `","pass":"admin"}`,
			"empty":                     `{"user":"","pass":""}`,
		}},
		{"POST /api/groups/update", "/api/groups/update", dashboardKey, map[string]string{
			"missing image":    `{}`,
			"blank image":      `{"image":"  "}`,
			"number image":     `{"image":1}`,
			"array image":      `{"image":["nginx:latest"]}`,
			"unknown image":    `{"image":"redis"}`,
			"traversal image":  `{"image":"../../nginx:latest"}`,
			"nul image":        `{"image":"nginx:latest\u0000"}`,
			"crlf image":       `{"image":"nginx\r\nX-Injected: 1"}`,
			"extra field":      `{"image":"nginx:latest","forced":true}`,
			"string force":     `{"image":"nginx:latest","force":"yes"}`,
			"trailing data":    `{"image":"nginx:latest"}]`,
			"huge image":       `{"image":"` + strings.Repeat("a", 60<<10) + `"}`,
			"id, not an image": `{"image":"` + hostileNginxID + `"}`,
		}},
	}
	var out []probe
	for _, ep := range endpoints {
		bodies := badBodies()
		for k, v := range ep.extra {
			bodies[k] = v
		}
		for name, body := range bodies {
			out = append(out, probe{name: ep.name + ": " + name, req: rawRequest{method: "POST", target: ep.target, header: ep.header, body: body}})
		}
	}
	// The machine API's own content checks.
	for _, ct := range []string{"", "text/plain", "application/jsonx", "multipart/form-data; boundary=x", "application/json; charset", "application/x-www-form-urlencoded", "application/json, text/plain"} {
		h := []string{"Authorization: Bearer " + hostileKey}
		if ct != "" {
			h = append(h, "Content-Type: "+ct)
		}
		out = append(out, probe{name: "POST /update: content type " + ct, req: rawRequest{method: "POST", target: "/update", header: h, body: `{"container":"nginx","image":"nginx"}`}})
	}
	out = append(out,
		probe{name: "POST /update: chunked, broken", req: rawRequest{method: "POST", target: "/update", header: append(machineJSON, "Transfer-Encoding: chunked"), body: "zz\r\n{}\r\n0\r\n\r\n", noLength: true}},
		probe{name: "POST /update: chunked and a length", req: rawRequest{method: "POST", target: "/update", header: append(machineJSON, "Transfer-Encoding: chunked", "Content-Length: 3"), body: "2\r\n{}\r\n0\r\n\r\n", noLength: true}},
		probe{name: "POST /update: two lengths", req: rawRequest{method: "POST", target: "/update", header: append(machineJSON, "Content-Length: 2", "Content-Length: 40"), body: "{}", noLength: true}},
		probe{name: "POST /api/groups/update: chunked, broken", req: rawRequest{method: "POST", target: "/api/groups/update", header: append(dashboardKey, "Transfer-Encoding: chunked"), body: "5\r\n{\"ima\r\nzz\r\n", noLength: true}},
	)
	return out
}

// hostileIDs are ids, raw in the request target, that name no container.
var hostileIDs = []string{
	"..%2F..%2Fetc%2Fpasswd", "..%2f..", "%2e%2e", "%2e%2e%2f%2e%2e", "%00", "nginx%00", "%00nginx",
	"%252F", "%2525", "%25", "%ZZ", "%", "%0d%0aX-Injected:%201", "nginx%0D%0ASet-Cookie:%20injected=1",
	"%C0%AE%C0%AE", "%E2%80%AEnginx", "%u002e%u002e", "nginx%20", "%20nginx", "nginx;id", "nginx%3Bid",
	"nginx'--", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "3d4c5b6a7f8", "3d4c5b6a7f8e0", strings.Repeat("a", 8000),
	strings.Repeat("%2e", 4000), "sha256:" + strings.Repeat("b", 64), "eeeeeeeeeeee%0d%0a",
}

func pathProbes() []probe {
	var out []probe
	for _, id := range hostileIDs {
		short := id
		if len(short) > 40 {
			short = fmt.Sprintf("%.20s...(%d bytes)", id, len(id))
		}
		out = append(out,
			probe{name: "update " + short, req: rawRequest{method: "POST", target: "/api/images/" + id + "/update", header: dashboardKey}},
			probe{name: "auto-update " + short, req: rawRequest{method: "POST", target: "/api/images/" + id + "/auto-update", header: dashboardKey, body: `{"auto_update":true}`}},
			probe{name: "progress " + short, req: rawRequest{method: "GET", target: "/api/images/" + id + "/progress", header: dashboardKey}},
			probe{name: "group " + short, req: rawRequest{method: "POST", target: "/api/groups/" + id + "/update", header: dashboardKey}},
			probe{name: "job " + short, req: rawRequest{method: "GET", target: "/update/" + id, header: dashboardKey}},
			probe{name: "history of " + short, req: rawRequest{method: "GET", target: "/api/history?container=" + id + "&limit=-1", header: dashboardKey}},
		)
	}
	for _, target := range []string{
		"/api/images/nginx/..%2Fupdate", "/api/images/nginx/update%2F", "/api/images/nginx/update/", "/api/images/nginx/UPDATE",
		"/api/images/nginx/update%00", "/api/images/nginx/update;x", "/api/images/nginx/update#x", "/api/images/nginx/update%23x",
		"/api/images/nginx/update/..", "/api/images/nginx", "/api/images/", "/api/images//update", "/api/images/nginx//update",
		"/api/images/../images/nginx/update", "/api/images/./nginx/update", "/api/images/nginx/./update", "/api/groups//update",
		"/api/groups/update/", "/api/groups/update/update/update", "/api/groups/..%2F..%2Fupdate", "/api/groups/%2e%2e/update",
		"/api/groups/nginx%2Flatest%2Fupdate", "/api/groups/nginx%252Flatest/update", "/api/groups/nginx:latest/update/",
		"/api/groups/evil%0D%0AX-Injected%3A%201/update", "/api/groups/nginx/update%00", "/api/groups/" + strings.Repeat("n", 8000) + "/update",
		"//api/images/nginx/update", "/API/images/nginx/update", "/%2e%2e/api/images/nginx/update",
	} {
		short := target
		if len(short) > 60 {
			short = fmt.Sprintf("%.30s...(%d bytes)", target, len(target))
		}
		out = append(out, probe{name: "path " + short, req: rawRequest{method: "POST", target: target, header: dashboardKey}, redirect: true})
	}
	for _, target := range []string{
		"/assets/..%2F..%2F..%2Fgo.mod", "/assets/%2e%2e/%2e%2e/web.go", "/assets/../../../../etc/passwd", "/assets/..\\..\\web.go",
		"/assets/%00", "/assets/index.html%00.js", "/assets/" + strings.Repeat("a", 8000), "/assets/%c0%ae%c0%ae/web.go",
	} {
		short := target
		if len(short) > 60 {
			short = fmt.Sprintf("%.30s...(%d bytes)", target, len(target))
		}
		out = append(out, probe{name: "GET " + short, req: rawRequest{method: "GET", target: target}, redirect: true})
	}
	return out
}

func queryProbes() []probe {
	auth := []string{"Authorization: Bearer " + hostileKey}
	out := []probe{}
	for _, q := range []string{
		"image=Foo::bar", "image=%00", "image=ng%0d%0ainx", "image=nginx,Foo::bar", "image=sha256:" + strings.Repeat("a", 64),
		"image=nginx@sha256:" + strings.Repeat("0", 64), "image=%ZZ", "image=nginx;x", "image=nginx%3Bx&image=%", "image=" + strings.Repeat("a", 300),
		strings.Repeat("image=Foo::bar&", 3000), "image=" + strings.Repeat("a", 70<<10), strings.Repeat("x", 70<<10), "image=docker.io/./&async=true",
	} {
		short := q
		if len(short) > 40 {
			short = fmt.Sprintf("%.20s...(%d bytes)", q, len(q))
		}
		out = append(out,
			probe{name: "GET /v1/update?" + short, req: rawRequest{method: "GET", target: "/v1/update?" + q, header: auth}},
			probe{name: "POST /v1/update?" + short, req: rawRequest{method: "POST", target: "/v1/update?" + q, header: auth}},
		)
	}
	for _, q := range []string{"limit=0", "limit=-1", "limit=1001", "limit=1e3", "limit=0x10", "limit=99999999999999999999999", "limit=%00", "limit=1%00", "limit= 5", "limit=" + strings.Repeat("9", 70<<10)} {
		short := q
		if len(short) > 40 {
			short = fmt.Sprintf("%.20s...(%d bytes)", q, len(q))
		}
		out = append(out, probe{name: "GET /api/history?" + short, req: rawRequest{method: "GET", target: "/api/history?" + q, header: auth}})
	}
	// Query strings on endpoints that change something must not get past
	// the header limit either.
	huge := "?" + strings.Repeat("a=b&", 20<<10)
	for _, target := range []string{"/update", "/api/images/nginx/update", "/api/groups/update", "/api/login", "/api/prune", "/api/check"} {
		out = append(out, probe{name: "POST " + target + " with an 80 KiB query", req: rawRequest{method: "POST", target: target + huge, header: machineJSON, body: `{"container":"nginx","image":"nginx","user":"admin","pass":"` + hostilePassword + `"}`}})
	}
	return out
}

func headerProbes() []probe {
	valid := func(name string, header ...string) probe {
		return probe{name: name, req: rawRequest{method: "POST", target: "/api/images/nginx/update", header: header}}
	}
	many := make([]string, 2000)
	for i := range many {
		many[i] = fmt.Sprintf("X-Filler-%d: %s", i, strings.Repeat("f", 30))
	}
	return []probe{
		valid("no credentials"),
		valid("wrong key", "Authorization: Bearer "+hostileKey+"x"),
		valid("key prefix", "Authorization: Bearer "+hostileKey[:10]),
		valid("key, other case", "Authorization: Bearer "+strings.ToUpper(hostileKey)),
		valid("key with a NUL", "Authorization: Bearer "+hostileKey+"\x00"),
		valid("key with a bare CR", "Authorization: Bearer "+hostileKey+"\rX-Injected: 1"),
		valid("key in a second header", "Authorization: Basic Zm9vOmJhcg==", "Authorization: Bearer "+hostileKey),
		valid("60 KiB key", "Authorization: Bearer "+strings.Repeat("k", 60<<10)),
		valid("70 KiB key", "Authorization: Bearer "+strings.Repeat("k", 70<<10)),
		valid("forged session", "Cookie: cutover_session=eyJpZCI6IngiLCJ1c2VyIjoiYWRtaW4iLCJleHAiOjk5OTk5OTk5OTl9.AAAA"),
		valid("huge session cookie", "Cookie: cutover_session="+strings.Repeat("A", 60<<10)),
		valid("many session cookies", "Cookie: "+strings.Repeat("cutover_session=x; ", 3000)),
		valid("quoted session cookie", `Cookie: cutover_session="`+hostileKey+`"`),
		valid("2000 headers", many...),
		valid("cross-site, with the key", append([]string{"Sec-Fetch-Site: cross-site", "Origin: https://evil.example"}, dashboardKey...)...),
		valid("header name with a space", "Bad Name: x"),
		valid("header without a colon", "NoColon"),
		{name: "unknown method", req: rawRequest{method: "FOO", target: "/api/images/nginx/update", header: dashboardKey}},
		{name: "TRACE", req: rawRequest{method: "TRACE", target: "/update", header: machineJSON}},
		{name: "GET on a POST endpoint", req: rawRequest{method: "GET", target: "/update", header: machineJSON}},
		{name: "DELETE a job", req: rawRequest{method: "DELETE", target: "/update/x", header: machineJSON}},
		{name: "lower-case method", req: rawRequest{method: "post", target: "/api/images/nginx/update", header: dashboardKey}},
		{name: "space in the target", req: rawRequest{method: "POST", target: "/api/images/ng inx/update", header: dashboardKey}},
		{name: "tab in the target", req: rawRequest{method: "POST", target: "/api/images/ng\tinx/update", header: dashboardKey}},
		{name: "target without a slash", req: rawRequest{method: "POST", target: "api/images/nginx/update", header: dashboardKey}},
		{name: "HTTP/1.0", req: rawRequest{method: "POST", target: "/api/images/%00/update", header: dashboardKey, proto: "HTTP/1.0"}},
		{name: "garbage protocol", req: rawRequest{method: "POST", target: "/api/images/nginx/update", header: dashboardKey, proto: "HTTQ/1.1"}},
	}
}

// TestHostileRequests sends every kind of hostile request to the server as
// cutover serve runs it: each is answered 4xx (or, for a path the router
// cleans, redirected), none 5xx, none reaches a call that changes
// something, and no answer carries a header built from the request or a
// secret.
func TestHostileRequests(t *testing.T) {
	h := newHostileServer(t, hostileOptions{})
	addr := strings.TrimPrefix(h.serve(t), "http://")
	groups := map[string][]probe{"body": bodyProbes(), "path": pathProbes(), "query": queryProbes(), "header": headerProbes()}
	sent, fivexx := 0, 0
	for _, kind := range []string{"body", "path", "query", "header"} {
		for _, p := range groups[kind] {
			t.Run(kind+"/"+p.name, func(t *testing.T) {
				sent++
				a := sendRaw(addr, p.req)
				if a.err != nil {
					t.Fatalf("no answer: %v", a.err)
				}
				if a.status >= 500 {
					fivexx++
				}
				ok := a.status >= 400 && a.status < 500 || p.redirect && a.status >= 300 && a.status < 400
				if !ok {
					t.Errorf("got %d %.200q, want a 4xx", a.status, a.body)
				}
				if a.status >= 400 && strings.TrimSpace(a.body) == "" {
					t.Errorf("got %d with an empty body, want a message saying what is wrong", a.status)
				}
				if calls := h.rec.take(); len(calls) > 0 {
					t.Errorf("got %d: reached %q, want nothing changed", a.status, calls)
				}
				checkHeaders(t, fmt.Sprintf("answer %d", a.status), a.header)
				if strings.Contains(a.body, "root:") || strings.Contains(a.body, "package web") || strings.Contains(a.body, "module github.com") {
					t.Errorf("got %d %.200q: a file outside the web assets", a.status, a.body)
				}
				if strings.Contains(a.body, hostileKey) || strings.Contains(a.body, hostilePassword) {
					t.Errorf("got %d %.200q: the answer carries a secret", a.status, a.body)
				}
			})
		}
	}
	t.Logf("sent %d hostile requests; %d answered 5xx", sent, fivexx)
	if logs := h.logs.String(); strings.Contains(logs, hostileKey) || strings.Contains(logs, hostilePassword) {
		t.Errorf("the logs carry a secret:\n%s", logs)
	}
}
