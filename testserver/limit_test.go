package testserver

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestLimitListener checks the connection cap (HOSTILE.md R12) and that
// an accepted TCP connection keeps its ReadFrom, which is what lets
// net/http serve a file with sendfile, and its CloseWrite.
func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := newLimitListener(inner.(*net.TCPListener), 2)
	t.Cleanup(func() { ln.Close() })
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	type accepted struct {
		c   net.Conn
		err error
	}
	accept := func() chan accepted {
		ch := make(chan accepted, 1)
		go func() {
			c, err := ln.Accept()
			ch <- accepted{c, err}
		}()
		return ch
	}
	var conns []net.Conn
	for range 3 {
		dial()
	}
	for range 2 {
		a := <-accept()
		if a.err != nil {
			t.Fatal(a.err)
		}
		if _, ok := a.c.(io.ReaderFrom); !ok {
			t.Errorf("accepted %T has no ReadFrom: net/http cannot sendfile", a.c)
		}
		if _, ok := a.c.(interface{ CloseWrite() error }); !ok {
			t.Errorf("accepted %T has no CloseWrite: net/http cannot close gracefully", a.c)
		}
		conns = append(conns, a.c)
	}
	third := accept()
	select {
	case a := <-third:
		t.Fatalf("a third connection was accepted over the cap of 2 (err %v)", a.err)
	case <-time.After(100 * time.Millisecond):
	}
	conns[0].Close()
	conns[0].Close() // a second Close gives back no second slot
	select {
	case a := <-third:
		if a.err != nil {
			t.Fatal(a.err)
		}
		conns[0] = a.c
	case <-time.After(5 * time.Second):
		t.Fatal("closing a connection freed no slot")
	}
	fourth := accept()
	dial()
	select {
	case a := <-fourth:
		t.Fatalf("a connection was accepted over the cap after a double Close (err %v)", a.err)
	case <-time.After(100 * time.Millisecond):
	}
	ln.Close()
	select {
	case a := <-fourth:
		if !errors.Is(a.err, net.ErrClosed) {
			t.Errorf("Accept waiting for a slot returned %v after Close, want net.ErrClosed", a.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end an Accept waiting for a slot")
	}
	for _, c := range conns {
		c.Close()
	}
}
