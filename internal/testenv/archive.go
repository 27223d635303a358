package testenv

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"runtime"
	"strings"
	"time"
)

// Test images are assembled here and loaded with docker load instead of
// being built from a Dockerfile. The classic builder chains every image to
// untagged parent images that builds with the same first steps share; when
// one test removes its image, the engine prunes those parents, and a build
// running at the same moment in another test process fails on a parent that
// just vanished. A loaded image has no parents, only layers, which the engine
// reference-counts safely.

// defaultPath is the PATH a Dockerfile build gives a FROM scratch image.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// layerEpoch is the modification time (Unix seconds) of every file in a
// layer. A fixed time makes the layer holding a given app binary identical
// across images, so the engine and the registries store it once.
const layerEpoch = 1704067200

// imageConfig is the part of the engine's image configuration format that
// test images use.
type imageConfig struct {
	Architecture string          `json:"architecture"`
	OS           string          `json:"os"`
	Created      time.Time       `json:"created"`
	Config       containerConfig `json:"config"`
	RootFS       rootFS          `json:"rootfs"`
	History      []history       `json:"history"`
}

type containerConfig struct {
	Env          []string            `json:",omitempty"`
	Entrypoint   []string            `json:",omitempty"`
	Cmd          []string            `json:",omitempty"`
	Labels       map[string]string   `json:",omitempty"`
	Volumes      map[string]struct{} `json:",omitempty"`
	ExposedPorts map[string]struct{} `json:",omitempty"`
	WorkingDir   string              `json:",omitempty"`
	User         string              `json:",omitempty"`
	StopSignal   string              `json:",omitempty"`
	Healthcheck  *healthConfig       `json:",omitempty"`
}

// healthConfig durations are nanoseconds in JSON, as the engine expects.
type healthConfig struct {
	Test     []string
	Interval time.Duration `json:",omitempty"`
	Timeout  time.Duration `json:",omitempty"`
}

type rootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

type history struct {
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
}

// loadManifest is one entry of manifest.json in a docker load archive.
type loadManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// configFor turns spec into the settings a Dockerfile with the same options
// would give. buildID becomes the label that makes the image unique.
func configFor(spec ImageSpec, buildID string) (containerConfig, error) {
	c := containerConfig{
		Entrypoint: []string{"/app"},
		Cmd:        spec.Cmd,
		Labels:     map[string]string{"cutover.test": "1", "cutover.test.build": buildID},
		WorkingDir: spec.WorkDir,
		User:       spec.User,
		StopSignal: spec.StopSignal,
	}
	hasPath := false
	for _, kv := range spec.Env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return c, fmt.Errorf("env %q: want KEY=VALUE", kv)
		}
		hasPath = hasPath || k == "PATH"
	}
	if !hasPath {
		c.Env = append(c.Env, defaultPath)
	}
	c.Env = append(c.Env, spec.Env...)
	for k, v := range spec.Labels {
		c.Labels[k] = v
	}
	if len(spec.Volumes) > 0 {
		c.Volumes = map[string]struct{}{}
		for _, v := range spec.Volumes {
			c.Volumes[v] = struct{}{}
		}
	}
	if len(spec.Expose) > 0 {
		c.ExposedPorts = map[string]struct{}{}
		for _, p := range spec.Expose {
			if !strings.Contains(p, "/") {
				p += "/tcp"
			}
			c.ExposedPorts[p] = struct{}{}
		}
	}
	if spec.Healthcheck || spec.HealthInterval != "" {
		interval := 30 * time.Second
		if spec.HealthInterval != "" {
			d, err := time.ParseDuration(spec.HealthInterval)
			if err != nil {
				return c, fmt.Errorf("health interval: %w", err)
			}
			interval = d
		}
		c.Healthcheck = &healthConfig{
			Test:     []string{"CMD", "/app", "health"},
			Interval: interval,
			Timeout:  5 * time.Second,
		}
	}
	return c, nil
}

// fileEntry is one file of a layer.
type fileEntry struct {
	path string
	mode int64
	data []byte
}

// writeImageArchive writes a docker load archive to w holding the image spec
// describes, tagged ref, with the app binary at /app. It returns the image ID.
func writeImageArchive(w io.Writer, ref string, spec ImageSpec, appBin, buildID string) (string, error) {
	conf, err := configFor(spec, buildID)
	if err != nil {
		return "", err
	}
	app, err := os.ReadFile(appBin)
	if err != nil {
		return "", err
	}
	layers := [][]fileEntry{{{path: "app", mode: 0o755, data: app}}}
	createdBy := []string{"COPY app /app"}
	for i := 1; i <= spec.ExtraLayers; i++ {
		data, err := randomBytes()
		if err != nil {
			return "", err
		}
		layers = append(layers, []fileEntry{
			{path: "layers/", mode: 0o755},
			{path: fmt.Sprintf("layers/%d.bin", i), mode: 0o644, data: data},
		})
		createdBy = append(createdBy, fmt.Sprintf("COPY layer-%d.bin /layers/%d.bin", i, i))
	}

	created := time.Now().UTC()
	img := imageConfig{
		Architecture: runtime.GOARCH, // the app binary's, built for this host's engine
		OS:           "linux",
		Created:      created,
		Config:       conf,
		RootFS:       rootFS{Type: "layers"},
	}
	out := tar.NewWriter(w)
	var layerPaths []string
	for i, files := range layers {
		blob, err := layerTar(files)
		if err != nil {
			return "", err
		}
		sum := sha256.Sum256(blob)
		diffID := hex.EncodeToString(sum[:])
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, "sha256:"+diffID)
		img.History = append(img.History, history{Created: created, CreatedBy: createdBy[i]})
		p := diffID + "/layer.tar"
		if err := addFile(out, p, blob); err != nil {
			return "", err
		}
		layerPaths = append(layerPaths, p)
	}
	configJSON, err := json.Marshal(img)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(configJSON)
	id := hex.EncodeToString(sum[:])
	if err := addFile(out, id+".json", configJSON); err != nil {
		return "", err
	}
	manifest, err := json.Marshal([]loadManifest{{Config: id + ".json", RepoTags: []string{ref}, Layers: layerPaths}})
	if err != nil {
		return "", err
	}
	if err := addFile(out, "manifest.json", manifest); err != nil {
		return "", err
	}
	return "sha256:" + id, out.Close()
}

// layerTar returns the uncompressed tar of one layer; its sha256 is the
// layer's DiffID.
func layerTar(files []fileEntry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.path, Mode: f.mode, ModTime: time.Unix(layerEpoch, 0), Typeflag: tar.TypeReg, Size: int64(len(f.data))}
		if strings.HasSuffix(f.path, "/") {
			h.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func addFile(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, ModTime: time.Unix(layerEpoch, 0), Size: int64(len(data))}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// randomBytes returns 1 to 4 MiB of random data. It does not compress, so
// the layer's size on the wire is real, and it is unique, so a pull must
// really download it.
func randomBytes() ([]byte, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(3<<20))
	if err != nil {
		return nil, err
	}
	b := make([]byte, 1<<20+n.Int64())
	_, err = rand.Read(b)
	return b, err
}
