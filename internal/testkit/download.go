package testkit

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/grabhq/grab/testserver"
)

// DownloadServer starts the test server with its fault endpoints and
// delays capped at 3s, closed when the test ends, and returns its base
// URL: what the download tests fetch /dl/ from.
func DownloadServer(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(testserver.New(testserver.WithFaults(), testserver.WithMaxDelay(3*time.Second)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// DownloadContent returns what /dl/{size}/{name}?v=version serves.
func DownloadContent(t testing.TB, name, version string, size int64) []byte {
	t.Helper()
	b, err := io.ReadAll(testserver.DownloadContent(name, version, size))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// SHA256 returns the SHA-256 of b in hex.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
