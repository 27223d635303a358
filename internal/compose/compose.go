// Package compose keeps a Compose project's files in step with what cutover
// did to its containers: it rewrites the image line of a service whose
// container moved to another image reference, and leaves every other byte of
// the file as it was.
package compose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cutover/cutover/internal/engine"
)

// Labels Compose puts on a project's containers that say where its files are.
const (
	configFilesLabel = "com.docker.compose.project.config_files"
	workingDirLabel  = "com.docker.compose.project.working_dir"
)

// ErrUnchanged marks a file left as it was: what it says cannot be
// rewritten safely, so a person must.
var ErrUnchanged = errors.New("compose file left unchanged")

// Follow rewrites the image of c's service to image in the project's
// Compose files, at the paths its config_files label names (cutover, in a
// container, must have them mounted at the same paths). Of several files,
// the last one that sets the service's image is the one Compose reads it
// from, and the one rewritten. It is what --compose-write sets as the
// engine's Options.Moved.
func Follow(_ context.Context, c engine.Container, image string) error {
	service := c.Labels[engine.ComposeServiceLabel]
	files := configFiles(c.Labels)
	if service == "" || len(files) == 0 {
		return fmt.Errorf("%s carries no Compose service and file labels: %w", c.Name, ErrUnchanged)
	}
	for i := len(files) - 1; i >= 0; i-- {
		data, err := os.ReadFile(files[i])
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("compose file %s is not mounted into cutover at that path: %w", files[i], ErrUnchanged)
		}
		if err != nil {
			return fmt.Errorf("compose file %s: %w", files[i], err)
		}
		out, err := SetImage(data, service, c.Image, image)
		if errors.Is(err, errNoImage) {
			continue
		}
		if err != nil {
			return fmt.Errorf("compose file %s: %w", files[i], err)
		}
		return writeInPlace(files[i], out)
	}
	return fmt.Errorf("no image line for service %s in %s: %w", service, strings.Join(files, ", "), ErrUnchanged)
}

// configFiles returns the project's files from its labels, relative ones
// made absolute against its working directory.
func configFiles(labels map[string]string) []string {
	var out []string
	for _, f := range strings.Split(labels[configFilesLabel], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !filepath.IsAbs(f) && labels[workingDirLabel] != "" {
			f = filepath.Join(labels[workingDirLabel], f)
		}
		out = append(out, f)
	}
	return out
}

// errNoImage is a file that does not set the service's image.
var errNoImage = errors.New("the service's image is not set in this file")

// SetImage returns the Compose file data with service's image set to image,
// everything else (comments, quoting, indentation, key order) unchanged.
// old, when not empty, is the reference the service's container was made
// with: a file that names another image was changed since, and is left
// alone, as is an image line that uses a variable or an anchor, which only
// a person can rewrite.
func SetImage(data []byte, service, old, image string) ([]byte, error) {
	if _, err := engine.ParseReference(image); err != nil {
		return nil, fmt.Errorf("new image %q: %w", image, err)
	}
	node, err := imageNode(data, service)
	if err != nil {
		return nil, err
	}
	switch {
	case node.Kind == yaml.AliasNode:
		return nil, fmt.Errorf("the image of service %s comes from an anchor: %w", service, ErrUnchanged)
	case node.Kind != yaml.ScalarNode:
		return nil, fmt.Errorf("the image of service %s is not a plain value: %w", service, ErrUnchanged)
	case strings.Contains(node.Value, "$"):
		return nil, fmt.Errorf("the image of service %s uses a variable (%s): set it where the variable is set: %w", service, node.Value, ErrUnchanged)
	case node.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || strings.Contains(node.Value, "\n"):
		return nil, fmt.Errorf("the image of service %s spans lines: %w", service, ErrUnchanged)
	case old != "" && !engine.SameReference(node.Value, old):
		return nil, fmt.Errorf("service %s's image line says %s, not %s, which its container was made with: %w", service, node.Value, old, ErrUnchanged)
	}
	out, err := replaceScalar(data, node, image)
	if err != nil {
		return nil, err
	}
	// What was written must read back as asked, or nothing is written.
	if again, err := imageNode(out, service); err != nil || again.Value != image {
		return nil, fmt.Errorf("rewriting the image of service %s would not read back as %s: %w", service, image, ErrUnchanged)
	}
	return out, nil
}

// imageNode finds the value node of services.<service>.image.
func imageNode(data []byte, service string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, errNoImage
	}
	services := mappingValue(doc.Content[0], "services")
	if services == nil {
		return nil, errNoImage
	}
	svc := mappingValue(services, service)
	if svc == nil {
		return nil, errNoImage
	}
	if svc.Kind == yaml.AliasNode {
		return nil, fmt.Errorf("service %s is an anchor's copy: %w", service, ErrUnchanged)
	}
	img := mappingValue(svc, "image")
	if img == nil {
		if mappingValue(svc, "<<") != nil {
			return nil, fmt.Errorf("service %s takes its keys from an anchor: %w", service, ErrUnchanged)
		}
		return nil, errNoImage
	}
	return img, nil
}

// mappingValue returns the value of key in mapping m, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// replaceScalar replaces, on the scalar's own line, its text with value,
// in the quotes it had.
func replaceScalar(data []byte, node *yaml.Node, value string) ([]byte, error) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if node.Line < 1 || node.Line > len(lines) {
		return nil, fmt.Errorf("image line %d out of the file: %w", node.Line, ErrUnchanged)
	}
	line := lines[node.Line-1]
	col := node.Column - 1
	if col < 0 || col > len(line) {
		return nil, fmt.Errorf("image column %d out of line %d: %w", node.Column, node.Line, ErrUnchanged)
	}
	rest := line[col:]
	var old, repl string
	switch {
	case node.Style&yaml.DoubleQuotedStyle != 0:
		old, repl = `"`+node.Value+`"`, `"`+value+`"`
	case node.Style&yaml.SingleQuotedStyle != 0:
		old, repl = `'`+node.Value+`'`, `'`+value+`'`
	default:
		old, repl = node.Value, value
	}
	if !bytes.HasPrefix(rest, []byte(old)) {
		return nil, fmt.Errorf("the image on line %d is not written as it reads: %w", node.Line, ErrUnchanged)
	}
	var b bytes.Buffer
	for i, l := range lines {
		if i == node.Line-1 {
			b.Write(line[:col])
			b.WriteString(repl)
			b.Write(rest[len(old):])
			continue
		}
		b.Write(l)
	}
	return b.Bytes(), nil
}

// writeInPlace writes data over the file's content, keeping the file
// itself: a file bind-mounted into a container cannot be replaced by a
// rename, only written.
func writeInPlace(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("compose file %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("compose file %s: %w", path, err)
	}
	return f.Close()
}
