package cli_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// services of examples/compose-atomic-stack.yml, dependencies first.
var stackServices = []string{"db", "api", "web"}

// composeTool is one Compose release the stack tests run under.
type composeTool struct {
	name string
	// command runs it; nil is docker-compose, 1.x.
	command []string
}

var (
	composeV2 = composeTool{name: "v2", command: []string{"docker", "compose"}}
	composeV1 = composeTool{name: "v1"}
)

// require skips the test (fails it under CI) when the tool is not there.
func (c composeTool) require(t *testing.T) {
	t.Helper()
	if c.command == nil {
		testenv.RequireTool(t, "docker-compose")
		return
	}
	if out, err := exec.Command("docker", "compose", "version").CombinedOutput(); err != nil {
		reason := fmt.Sprintf("docker compose (Compose v2) is not installed (scripts/setup-env.sh installs it): %v: %s", err, out)
		if os.Getenv("CI") != "" {
			t.Fatal(reason)
		}
		t.Skip(reason)
	}
}

// stack is examples/compose-atomic-stack.yml running under one Compose
// release, in a project of its own, on images of the test's own.
type stack struct {
	p     *composeProject
	tool  composeTool
	repos map[string]string
	port  string
}

// startStack builds v1 of the three services' images (db and api with a
// healthcheck), pushes them and starts the example file, plus the extra
// files. The project goes down, with its volumes, when the test ends.
func startStack(t *testing.T, tool composeTool, file string, extra ...string) *stack {
	t.Helper()
	s := newStack(t, tool)
	s.start(t, file, extra...)
	return s
}

// newStack builds and pushes v1 of the three services' images.
func newStack(t *testing.T, tool composeTool) *stack {
	t.Helper()
	s := &stack{tool: tool, repos: map[string]string{}}
	for _, svc := range stackServices {
		s.repos[svc] = testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, svc)
		s.push(t, svc, "v1", "")
	}
	_, s.port, _ = net.SplitHostPort(freeAddr(t))
	return s
}

// start runs compose up on the files, in a project of its own, with the
// images in DB_IMAGE, API_IMAGE and WEB_IMAGE; the project goes down, with
// its volumes, when the test ends.
func (s *stack) start(t *testing.T, file string, extra ...string) {
	t.Helper()
	env := []string{"WEB_PORT=" + s.port}
	for _, svc := range stackServices {
		env = append(env, strings.ToUpper(svc)+"_IMAGE="+s.repos[svc]+":latest")
	}
	s.p = &composeProject{
		name:    composeProjectName(t),
		files:   append([]string{file}, extra...),
		env:     env,
		dir:     filepath.Dir(file),
		command: s.tool.command,
	}
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := s.p.exec("logs", "--no-color", "--tail", "30")
			t.Logf("compose logs of project %s:\n%s", s.p.name, logs)
		}
		if out, err := s.p.exec("down", "--volumes", "--remove-orphans", "--timeout", "5"); err != nil {
			t.Errorf("compose down: %v\n%s", err, out)
		}
	})
	s.p.run(t, "up", "-d")
}

// push builds and pushes a version of a service's image, to its tag
// latest, and drops it from the engine again, so that an update pulls it as
// from a remote registry. mode is the app's mode ("unhealthy", ...), "" for
// a good image.
func (s *stack) push(t *testing.T, svc, version, mode string) string {
	t.Helper()
	return s.pushTag(t, svc, "latest", version, mode)
}

// pushTag is push to another tag than latest.
func (s *stack) pushTag(t *testing.T, svc, tag, version, mode string) string {
	t.Helper()
	spec := testenv.ImageSpec{Repo: s.repos[svc], Tag: tag, Version: version, Mode: mode}
	if svc != "web" {
		spec.HealthInterval = "1s"
	}
	ref, _ := testenv.BuildAndPush(t, spec)
	if version != "v1" {
		testenv.RemoveImageLocal(t, ref)
	}
	return ref
}

// state is what a test compares of the stack: per service, the container's
// id, its image, and when it was started.
type stackState map[string]struct{ ID, Image, Started string }

func (s *stack) state(t *testing.T) stackState {
	t.Helper()
	out := stackState{}
	for _, svc := range stackServices {
		id := s.p.container(t, svc)
		f := strings.Fields(testenv.Docker(t, "inspect", "--format", "{{.Id}} {{.Image}} {{.State.StartedAt}} {{.State.Status}}", id))
		if len(f) != 4 || f[3] != "running" {
			t.Fatalf("service %s: container %s is %v, want running", svc, short(id), f)
		}
		out[svc] = struct{ ID, Image, Started string }{f[0], f[1], f[2]}
	}
	return out
}

// names are the stack's container names, in dependency order.
func (s *stack) names(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, svc := range stackServices {
		out = append(out, containerName(t, s.p.container(t, svc)))
	}
	return out
}

// TestIntegrationComposeFindsUpdatedContainersCurrent runs the example
// stack under Compose v2, updates db, then api, then web, then all three
// at once, and after each update runs "docker compose up -d": it must leave
// every container as it is. A restart: true in web's depends_on (an
// override file) makes cutover restart web when api is updated, as Compose
// would.
func TestIntegrationComposeFindsUpdatedContainersCurrent(t *testing.T) {
	t.Parallel()
	composeV2.require(t)
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	root := testenv.RepoRoot(t)
	override := filepath.Join(t.TempDir(), "restart.yml")
	if err := os.WriteFile(override, []byte("services:\n  web:\n    depends_on:\n      api:\n        condition: service_healthy\n        restart: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startStack(t, composeV2, filepath.Join(root, "examples", "compose-atomic-stack.yml"), override)
	names := s.names(t)
	for round, changed := range [][]string{{"db"}, {"api"}, {"web"}, stackServices} {
		version := fmt.Sprintf("v%d", round+2)
		for _, svc := range changed {
			s.push(t, svc, version, "")
		}
		before := s.state(t)
		r := cutover(t, append([]string{"update"}, names...)...)
		if r.code != 0 {
			t.Fatalf("round %d: cutover update: exit %d\n%s%s", round, r.code, r.stdout, r.stderr)
		}
		after := s.state(t)
		for _, svc := range stackServices {
			moved := slices.Contains(changed, svc)
			if (after[svc].Image != before[svc].Image) != moved {
				t.Errorf("round %d: %s image %s -> %s, want it changed: %v", round, svc, short(before[svc].Image), short(after[svc].Image), moved)
			}
			if moved {
				if got := labelsWithPrefix(t, after[svc].ID, "com.docker.compose.image")["com.docker.compose.image"]; got != after[svc].Image {
					t.Errorf("round %d: %s's com.docker.compose.image is %s, want its new image %s", round, svc, got, short(after[svc].Image))
				}
			}
		}
		if round == 1 && after["web"].Started == before["web"].Started {
			t.Errorf("web was not restarted after api, its restart: true dependency, was updated")
		}
		if round == 0 && after["web"].Started != before["web"].Started {
			t.Errorf("web was restarted after db was updated, which it does not depend on directly")
		}
		if round == 3 && !strings.Contains(r.stdout, "atomic project "+s.p.name+": updated ("+names[0]+" updated, "+names[1]+" updated, "+names[2]+" updated)") {
			t.Errorf("round 3: cutover update did not report the atomic project updated as one:\n%s", r.stdout)
		}

		s.p.run(t, "up", "-d")
		if again := s.state(t); !maps.Equal(again, after) {
			t.Errorf("round %d: docker compose up -d changed the stack after cutover's update:\nbefore %v\nafter  %v", round, after, again)
		}
	}
}

// TestIntegrationComposeV1RecreatesOnceOnTheSameImage runs the example
// stack under docker-compose 1.29: after cutover updates a service, the
// next "docker-compose up -d" recreates that service's container once, on
// the image cutover swapped in (1.x hashes the image id into its config
// hash), and leaves the others; the one after that changes nothing.
func TestIntegrationComposeV1RecreatesOnceOnTheSameImage(t *testing.T) {
	t.Parallel()
	composeV1.require(t)
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	s := startStack(t, composeV1, filepath.Join(testenv.RepoRoot(t), "examples", "compose-atomic-stack.yml"))
	names := s.names(t)
	s.push(t, "api", "v2", "")
	if r := cutover(t, append([]string{"update"}, names...)...); r.code != 0 {
		t.Fatalf("cutover update: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	updated := s.state(t)
	s.p.run(t, "up", "-d")
	once := s.state(t)
	for _, svc := range stackServices {
		switch {
		case svc == "api" && once[svc].ID == updated[svc].ID:
			t.Errorf("api: docker-compose up -d kept container %s; 1.x recreates it once (docs/compose.md)", short(updated[svc].ID))
		case svc == "api" && once[svc].Image != updated[svc].Image:
			t.Errorf("api: docker-compose up -d moved it from %s to %s, want it on the image cutover swapped in", short(updated[svc].Image), short(once[svc].Image))
		case svc != "api" && once[svc] != updated[svc]:
			t.Errorf("%s: docker-compose up -d changed it (%v -> %v)", svc, updated[svc], once[svc])
		}
	}
	s.p.run(t, "up", "-d")
	if again := s.state(t); !maps.Equal(again, once) {
		t.Errorf("a second docker-compose up -d changed the stack:\nbefore %v\nafter  %v", once, again)
	}
}

// TestIntegrationComposeAtomicStackGoesBackWhole updates the example stack,
// under both Compose releases, with new images for all three services of
// which api's fails its health gate, through the Watchtower API of a
// daemon that notifies: the report, the notification and the history say
// the project went back as one, and every container is back on its old
// image, the very container it was, with its settings; compose up then
// changes nothing.
func TestIntegrationComposeAtomicStackGoesBackWhole(t *testing.T) {
	for _, tool := range []composeTool{composeV2, composeV1} {
		t.Run(tool.name, func(t *testing.T) {
			t.Parallel()
			tool.require(t)
			testenv.RequireEngine(t)
			testenv.RequireRegistries(t)
			s := startStack(t, tool, filepath.Join(testenv.RepoRoot(t), "examples", "compose-atomic-stack.yml"))
			names := s.names(t)
			before := s.state(t)
			settings := map[string]string{}
			for _, svc := range stackServices {
				settings[svc] = testenv.Docker(t, "inspect", "--format",
					`{{json .Config.Labels}} {{json .Config.Env}} {{json .Mounts}} {{json .HostConfig.PortBindings}} {{range $n, $e := .NetworkSettings.Networks}}{{$n}}={{json $e.Aliases}}{{end}}`, before[svc].ID)
			}
			s.push(t, "db", "v2", "")
			s.push(t, "api", "v2", "unhealthy")
			s.push(t, "web", "v2", "")

			n := listenNotifications(t)
			dir := t.TempDir()
			d := startServe(t, dir, append([]string{"--http-api-update", "--http-api-token", "mytoken", "--notification-url", n.url}, names...)...)
			code, body := call(t, "GET", "http://"+d.addr+"/v1/update", "Bearer mytoken", "", "")
			var rep struct {
				Failed     int
				Containers []struct{ Name, Result, Unit string }
				Units      []struct {
					Project, Result, Error string
					Containers             []struct{ Name, Result string }
				}
			}
			if err := json.Unmarshal([]byte(body), &rep); err != nil || code != 200 {
				t.Fatalf("GET /v1/update: %d %s (%v)", code, body, err)
			}
			t.Logf("GET /v1/update:\n%s", body)
			if len(rep.Units) != 1 || rep.Units[0].Project != s.p.name || rep.Units[0].Result != "rolled_back" || !strings.Contains(rep.Units[0].Error, names[1]) {
				t.Errorf("report's units: got %+v, want project %s rolled back because of %s", rep.Units, s.p.name, names[1])
			}
			for _, c := range rep.Containers {
				if c.Unit != s.p.name || (c.Result != "rolled_back" && c.Result != "skipped") {
					t.Errorf("report row %s: result %s, unit %q; want rolled back or skipped, with project %s", c.Name, c.Result, c.Unit, s.p.name)
				}
			}
			if rep.Failed == 0 {
				t.Errorf("report: failed 0, want the rolled back containers counted")
			}

			after := s.state(t)
			for _, svc := range stackServices {
				if after[svc].ID != before[svc].ID || after[svc].Image != before[svc].Image {
					t.Errorf("%s after the rollback: container %s on %s, want the same container %s on its old image %s",
						svc, short(after[svc].ID), short(after[svc].Image), short(before[svc].ID), short(before[svc].Image))
				}
			}
			for _, svc := range stackServices {
				got := testenv.Docker(t, "inspect", "--format",
					`{{json .Config.Labels}} {{json .Config.Env}} {{json .Mounts}} {{json .HostConfig.PortBindings}} {{range $n, $e := .NetworkSettings.Networks}}{{$n}}={{json $e.Aliases}}{{end}}`, after[svc].ID)
				if got != settings[svc] {
					t.Errorf("%s's settings after the rollback:\n got  %s\n want %s", svc, got, settings[svc])
				}
				if left := namesLike(t, containerName(t, after[svc].ID)+"-cutover"); len(left) > 0 {
					t.Errorf("%s: leftovers %v", svc, left)
				}
			}
			testenv.WaitHTTP(t, "http://127.0.0.1:"+s.port+"/", "v1", 20*time.Second)

			waitFor(t, "the notification", 30*time.Second, func() bool {
				return strings.Contains(strings.Join(n.all(), "\n"), "atomic project "+s.p.name)
			})
			key, _ := os.ReadFile(filepath.Join(dir, "api_key"))
			_, hist := call(t, "GET", "http://"+d.addr+"/api/history?limit=10", "Bearer "+strings.TrimSpace(string(key)), "", "")
			if strings.Count(hist, `"unit":"`+s.p.name+`"`) != 3 {
				t.Errorf("history: want three attempts of project %s, got %s", s.p.name, hist)
			}

			s.p.run(t, "up", "-d")
			if again := s.state(t); !maps.Equal(again, after) {
				t.Errorf("compose up -d after the rollback changed the stack:\n got  %v\n want %v", again, after)
			}
		})
	}
}
