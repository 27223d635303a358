package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

// maxBody bounds every JSON request body.
const maxBody = 64 << 10

// badRequest is an error in what the client sent.
type badRequest struct{ msg string }

func (b badRequest) Error() string { return b.msg }

func badRequestf(format string, args ...any) error { return badRequest{fmt.Sprintf(format, args...)} }

// statusOf maps an error to its HTTP status: the one place that does.
func statusOf(err error) int {
	var br badRequest
	switch {
	case errors.As(err, &br), errors.Is(err, engine.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, engine.ErrNotFound), errors.Is(err, engine.ErrNotRunning):
		return http.StatusNotFound
	case errors.Is(err, engine.ErrPull):
		return http.StatusBadGateway
	case errors.Is(err, engine.ErrUnswappable), errors.Is(err, engine.ErrNoOffer):
		return http.StatusConflict
	case errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized
	case errors.As(err, new(errWrongKey)), errors.Is(err, engine.ErrRefused):
		return http.StatusForbidden
	case errors.Is(err, daemon.ErrBusy):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError answers err as JSON with the status statusOf gives it.
func writeError(w http.ResponseWriter, err error) {
	writeJSONError(w, statusOf(err), err.Error())
}

// errorJSON is every JSON error: "error" as cutover and Watchtower clients
// read it, and the same text as "message", where autodok put it.
type errorJSON struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody(msg))
}

func errorBody(msg string) errorJSON { return errorJSON{Error: msg, Message: msg} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads a JSON body strictly: the right content type, at most
// maxBody bytes, no unknown fields, one value. Every failure says which.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		if ct == "" {
			return badRequestf("missing Content-Type: send application/json")
		}
		return badRequestf("wrong Content-Type %q: send application/json", ct)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		return badRequestf("malformed JSON: unexpected data after the object")
	}
	return nil
}

func describeJSONError(err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return badRequestf("request body too large: the limit is %d KiB", maxBody>>10)
	case errors.As(err, &syntax):
		return badRequestf("malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return badRequestf("field %q must be a %s, not %s", typeErr.Field, typeErr.Type.Kind(), typeErr.Value)
		}
		return badRequestf("the body must be a JSON object, not %s", typeErr.Value)
	case errors.Is(err, io.EOF):
		return badRequestf("empty body: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequestf("malformed JSON: the body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badRequestf("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return badRequestf("malformed JSON: %v", err)
}
