package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// PrivateOption adjusts a private engine before it starts.
type PrivateOption func(t testing.TB, e *PrivateEngine)

// WithTLS makes the engine listen on 127.0.0.1 over TCP as well, with TLS
// and client certificates, as a remote engine is reached: the test
// generates a CA, a server certificate for 127.0.0.1 and a client
// certificate. TLSHost is then tcp://127.0.0.1:PORT, and CertDir holds the
// client's ca.pem, cert.pem and key.pem (the DOCKER_CERT_PATH layout). The
// docker CLI helpers keep using the engine's socket.
func WithTLS() PrivateOption {
	return func(t testing.TB, e *PrivateEngine) {
		t.Helper()
		serverDir := filepath.Join(e.runDir, "tls")
		e.CertDir = t.TempDir()
		if err := os.MkdirAll(serverDir, 0o700); err != nil {
			t.Fatal(err)
		}
		writeTLS(t, serverDir, e.CertDir)
		e.TLSHost = "tcp://127.0.0.1:" + strconv.Itoa(freePort(t, "tcp"))
		e.args = append(e.args, "--host", e.TLSHost, "--tlsverify",
			"--tlscacert", filepath.Join(serverDir, "ca.pem"),
			"--tlscert", filepath.Join(serverDir, "cert.pem"),
			"--tlskey", filepath.Join(serverDir, "key.pem"))
	}
}

// writeTLS writes a CA with a server certificate for 127.0.0.1 into
// serverDir and a client certificate into clientDir, each beside the CA's
// certificate as ca.pem.
func writeTLS(t testing.TB, serverDir, clientDir string) {
	t.Helper()
	caKey := newKey(t)
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "cutover test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(dir string, serial int64, usage x509.ExtKeyUsage, ips []net.IP) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: "cutover test " + filepath.Base(dir)},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", caDER)
		writePEM(t, filepath.Join(dir, "cert.pem"), "CERTIFICATE", der)
		writePEM(t, filepath.Join(dir, "key.pem"), "EC PRIVATE KEY", keyDER)
	}
	leaf(serverDir, 2, x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	leaf(clientDir, 3, x509.ExtKeyUsageClientAuth, nil)
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t testing.TB, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
