package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationComposeWriteKeepsAVersionMove deploys web's 2.0 tag to the
// example stack (its images written out in the file, as a user's file
// would) under Compose v2. Without --compose-write, the next "docker
// compose up -d" moves web back to the tag its file names, as the
// documentation warns. With it, cutover rewrites web's image line, and only
// that, and compose up keeps web on 2.0: it recreates the container once,
// on the same image, since its config hash covers the image reference, and
// leaves it afterwards.
func TestIntegrationComposeWriteKeepsAVersionMove(t *testing.T) {
	t.Parallel()
	composeV2.require(t)
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	s := newStack(t, composeV2)
	example, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "examples", "compose-atomic-stack.yml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(example)
	for _, svc := range stackServices {
		v := "${" + strings.ToUpper(svc) + "_IMAGE:-registry.example.com/shop/" + svc + ":latest}"
		if !strings.Contains(text, v) {
			t.Fatalf("examples/compose-atomic-stack.yml: no %s", v)
		}
		text = strings.Replace(text, v, s.repos[svc]+":latest", 1)
	}
	file := filepath.Join(t.TempDir(), "compose.yml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s.start(t, file)
	names := s.names(t)
	moved := s.pushTag(t, "web", "2.0", "v2", "")
	deploy := func(flags ...string) string {
		t.Helper()
		dir := t.TempDir()
		d := startServe(t, dir, append(flags, names...)...)
		defer d.stop(t)
		key, _ := os.ReadFile(filepath.Join(dir, "api_key"))
		code, body := call(t, "POST", "http://"+d.addr+"/update", strings.TrimSpace(string(key)), "application/json",
			`{"container":"`+names[2]+`","image":"`+moved+`"}`)
		var answer struct {
			Message string
			Unit    struct{ Project, Result string }
		}
		if err := json.Unmarshal([]byte(body), &answer); err != nil || code != 200 {
			t.Fatalf("POST /update of %s to %s: %d %s", names[2], moved, code, body)
		}
		if answer.Unit.Project != s.p.name || answer.Unit.Result != "updated" {
			t.Errorf("deploy answer's unit: got %+v, want project %s updated", answer.Unit, s.p.name)
		}
		return imageOf(t, names[2])
	}

	onMoved := deploy()
	if got := readText(t, file); got != text {
		t.Errorf("without --compose-write the compose file changed:\n%s", got)
	}
	s.p.run(t, "up", "-d")
	if got := imageOf(t, names[2]); got == onMoved || got != localImageID(t, s.repos["web"]+":latest") {
		t.Errorf("without --compose-write: after compose up -d web runs %s, want it moved back to its file's tag (%s)", short(got), short(localImageID(t, s.repos["web"]+":latest")))
	}

	onMoved = deploy("--compose-write")
	want := strings.Replace(text, "image: "+s.repos["web"]+":latest", "image: "+moved, 1)
	if got := readText(t, file); got != want {
		t.Errorf("with --compose-write, compose file:\n%s\nwant:\n%s", got, want)
	}
	before := s.state(t)
	s.p.run(t, "up", "-d")
	once := s.state(t)
	if once["web"].Image != onMoved {
		t.Errorf("with --compose-write: after compose up -d web runs %s, want %s still", short(once["web"].Image), short(onMoved))
	}
	if once["web"].ID == before["web"].ID {
		t.Errorf("with --compose-write: compose up -d kept web's container; docs/compose.md says Compose v2 recreates it once, its config hash covering the image reference")
	}
	if once["db"] != before["db"] || once["api"] != before["api"] {
		t.Errorf("compose up -d changed db or api:\n got  %v\n want %v", once, before)
	}
	s.p.run(t, "up", "-d")
	if again := s.state(t); again["web"] != once["web"] {
		t.Errorf("a second compose up -d changed web: %v, want %v", again["web"], once["web"])
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
