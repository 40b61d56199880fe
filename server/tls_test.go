package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The real binary, configured through the environment (HARK_ADDR,
// HARK_STORE) and serving TLS from -tls-cert/-tls-key: it says https in
// its address, answers over HTTP/2, and with -pprof serves the profiles.
func TestTLSFromTheEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildHark(t)
	certFile, keyFile, pool := selfSigned(t)
	cmd := exec.Command(bin, "-web", t.TempDir(), "-tls-cert", certFile, "-tls-key", keyFile, "-pprof", "-log-level", "warn")
	cmd.Env = append(os.Environ(), "HARK_ADDR=127.0.0.1:0", "HARK_STORE=memory", "HARK_DATA="+filepath.Join(t.TempDir(), "unused"))
	h := runHark(t, cmd)
	if !strings.HasPrefix(h.url, "https://127.0.0.1:") {
		t.Fatalf("the server says it runs at %s, want https on 127.0.0.1 (HARK_ADDR)", h.url)
	}
	if !strings.Contains(h.errs.String(), "store: memory") {
		t.Errorf("HARK_STORE=memory did not choose the memory store:\n%s", h.errs)
	}
	client := &http.Client{Timeout: crashWait, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
	}}
	for _, path := range []string{"/healthz", "/debug/pprof/"} {
		resp, err := client.Get(h.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
			t.Errorf("GET %s: %s over %s, want 200 over HTTP/2", path, resp.Status, resp.Proto)
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their files and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "hark test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pool
}
