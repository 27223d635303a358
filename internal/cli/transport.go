package cli

import "net/http"

// countingTransport calls count for every request it carries.
func countingTransport(count func()) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		count()
		return http.DefaultTransport.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
