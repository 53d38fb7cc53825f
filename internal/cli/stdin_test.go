package cli

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestCtxReader(t *testing.T) {
	// What it reads is the reader's, whatever the sizes asked.
	r := newCtxReader(t.Context(), iotest.HalfReader(strings.NewReader("hello, world")))
	if err := iotest.TestReader(r, []byte("hello, world")); err != nil {
		t.Error(err)
	}

	// A read that waits ends with the context, and every read after it.
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() }) // ends the abandoned read
	ctx, cancel := context.WithCancel(t.Context())
	r = newCtxReader(ctx, pr)
	go func() { pw.Write([]byte("line\n")) }()
	buf := make([]byte, 64)
	if n, err := r.Read(buf); string(buf[:n]) != "line\n" || err != nil {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	if n, err := r.Read(buf); n != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("Read after cancel = %d, %v; want context.Canceled", n, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the read ended %v after the cancel", d)
	}
	if _, err := r.Read(buf); !errors.Is(err, context.Canceled) {
		t.Errorf("a later Read = %v, want context.Canceled", err)
	}
}

// TestNilStdin: Run with a nil stdin reads no input, as before stdin's
// reads ended with the context.
func TestNilStdin(t *testing.T) {
	var stdout, stderr strings.Builder
	if code := Run(t.Context(), []string{"url", "quote"}, nil, &stdout, &stderr); code != ExitOK || stdout.String() != "" {
		t.Errorf("url quote with a nil stdin = %d, %q, %q", code, stdout.String(), stderr.String())
	}
}
