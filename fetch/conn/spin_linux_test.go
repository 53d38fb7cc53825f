package conn

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/grabhq/grab/internal/testkit"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan net.Conn, 1)
	go func() {
		nc, _ := ln.Accept()
		got <- nc
	}()
	cc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc := <-got
	if sc == nil {
		cc.Close()
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { cc.Close(); sc.Close() })
	return cc.(*net.TCPConn), sc.(*net.TCPConn)
}

// TestSpinnerRead: a poll reports bytes, an end and a reset as a read of
// the connection would, and nothing (done false) when the time is up.
func TestSpinnerRead(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("polling is Linux's")
	}
	p := make([]byte, 64)
	t.Run("bytes", func(t *testing.T) {
		cc, sc := tcpPair(t)
		s := newSpinner(cc, new(atomic.Bool))
		sc.Write([]byte("HTTP/1.1"))
		n, done, err := s.read(p, 5*time.Second)
		if !done || err != nil || string(p[:n]) != "HTTP/1.1" {
			t.Errorf("read = %q, %v, %v; want \"HTTP/1.1\", true, nil", p[:n], done, err)
		}
	})
	t.Run("end", func(t *testing.T) {
		cc, sc := tcpPair(t)
		s := newSpinner(cc, new(atomic.Bool))
		sc.Close()
		n, done, err := s.read(p, 5*time.Second)
		if !done || n != 0 || err != io.EOF {
			t.Errorf("read = %d, %v, %v; want 0, true, io.EOF", n, done, err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		cc, sc := tcpPair(t)
		s := newSpinner(cc, new(atomic.Bool))
		sc.SetLinger(0)
		sc.Close() // RST
		_, done, err := s.read(p, 5*time.Second)
		var op *net.OpError
		if !done || !errors.Is(err, syscall.ECONNRESET) || !errors.As(err, &op) || op.Op != "read" {
			t.Errorf("read = %v, %v; want a read *net.OpError matching ECONNRESET", done, err)
		}
	})
	t.Run("nothing", func(t *testing.T) {
		cc, _ := tcpPair(t)
		s := newSpinner(cc, new(atomic.Bool))
		start := time.Now()
		n, done, err := s.read(p, 2*time.Millisecond)
		if done || n != 0 || err != nil {
			t.Errorf("read = %d, %v, %v; want 0, false, nil", n, done, err)
		}
		if d := time.Since(start); d < 2*time.Millisecond {
			t.Errorf("gave up after %v, before its 2ms", d)
		}
	})
	t.Run("closed", func(t *testing.T) {
		cc, _ := tcpPair(t)
		var closed atomic.Bool
		s := newSpinner(cc, &closed)
		time.AfterFunc(20*time.Millisecond, func() { closed.Store(true) })
		start := time.Now()
		n, done, err := s.read(p, 10*time.Second)
		if done || n != 0 || err != nil {
			t.Errorf("read = %d, %v, %v; want 0, false, nil (the poller reports the Close)", n, done, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("a Close took %v to end the poll", d)
		}
	})
	t.Run("allocations", func(t *testing.T) {
		cc, sc := tcpPair(t)
		s := newSpinner(cc, new(atomic.Bool))
		var rerr error
		x := []byte("x")
		allocs := testing.AllocsPerRun(100, func() {
			sc.Write(x)
			if _, done, err := s.read(p[:1], 5*time.Second); !done || err != nil {
				rerr = errors.Join(rerr, err, errors.New("no byte"))
			}
		})
		if rerr != nil {
			t.Fatal(rerr)
		}
		if allocs != 0 {
			t.Errorf("%.1f allocations a poll, want 0", allocs)
		}
	})
}

// waitReset waits until c has taken a reset from its peer, without
// reading it (the kernel reports it to one read or write only).
func waitReset(t *testing.T, c *net.TCPConn) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	for range 500 {
		var state uint8
		rc.Control(func(fd uintptr) {
			if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
				state = info.State
			}
		})
		if state == 7 { // TCP_CLOSE
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no reset arrived in 5s")
}

// TestSpinnerWrite: a direct write takes what the socket takes at once,
// and reports a reset as a write of the connection would.
func TestSpinnerWrite(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("direct writes are Linux's")
	}
	t.Run("whole", func(t *testing.T) {
		cc, sc := tcpPair(t)
		if n, err := newSpinner(cc, new(atomic.Bool)).write([]byte("GET / HTTP/1.1\r\n\r\n")); n != 18 || err != nil {
			t.Fatalf("wrote %d bytes, %v; want 18, nil", n, err)
		}
		b := make([]byte, 18)
		if _, err := io.ReadFull(sc, b); err != nil || string(b) != "GET / HTTP/1.1\r\n\r\n" {
			t.Errorf("peer read %q, %v", b, err)
		}
	})
	t.Run("more than the socket takes", func(t *testing.T) {
		cc, sc := tcpPair(t)
		cc.SetWriteBuffer(64 << 10)
		sc.SetReadBuffer(64 << 10)
		big := make([]byte, 8<<20)
		if n, err := newSpinner(cc, new(atomic.Bool)).write(big); n <= 0 || n >= len(big) || err != nil {
			t.Errorf("wrote %d of %d bytes to a peer that reads nothing, %v; want part, nil", n, len(big), err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		cc, sc := tcpPair(t)
		sc.SetLinger(0)
		sc.Close()
		waitReset(t, cc)
		s := newSpinner(cc, new(atomic.Bool))
		n, err := s.write([]byte("x"))
		var op *net.OpError
		if n != 0 || !errors.Is(err, syscall.ECONNRESET) || !errors.As(err, &op) || op.Op != "write" {
			t.Errorf("write to a reset connection = %d, %v; want 0 and a write *net.OpError matching ECONNRESET", n, err)
		}
	})
}

// TestSpinExchanges: with polling (a long spin time, so the poll sees
// what the server does) and without it, a Conn on TCP gets the same
// answers and the same errors: a response in two pieces, a close and a
// reset before the answer.
func TestSpinExchanges(t *testing.T) {
	head := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
	tests := []struct {
		name   string
		serve  func(nc net.Conn)
		want   string // body, or ""
		wantIs error
	}{
		{"whole", respondRaw(head+"ok", false), "ok", nil},
		{"in two pieces", func(nc net.Conn) {
			if _, err := testkit.ReadHead(bufio.NewReader(nc)); err != nil {
				return
			}
			io.WriteString(nc, head[:9])
			time.Sleep(20 * time.Millisecond)
			io.WriteString(nc, head[9:]+"ok")
			io.Copy(io.Discard, nc)
		}, "ok", nil},
		{"closed", func(nc net.Conn) { testkit.ReadHead(bufio.NewReader(nc)) }, "", ErrClosed},
		{"reset", func(nc net.Conn) {
			testkit.ReadHead(bufio.NewReader(nc))
			nc.(*net.TCPConn).SetLinger(0)
		}, "", syscall.ECONNRESET},
	}
	// The second request goes to a connection the server reset after the
	// first answer: the write fails, directly or through the poller.
	resetAfterOne := func(nc net.Conn) {
		br := bufio.NewReader(nc)
		testkit.ReadHead(br)
		io.WriteString(nc, head+"ok")
		nc.(*net.TCPConn).SetLinger(0)
		nc.Close()
	}
	for _, spin := range []time.Duration{time.Second, -1} {
		t.Run(fmt.Sprintf("write after a reset, spin %v", spin), func(t *testing.T) {
			srv := startRawTCP(t, resetAfterOne)
			c, err := Dial(t.Context(), srv.addr(), WithSpinWait(spin))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			mustExchange(t, c, "GET", "/", nil, Header{})
			waitReset(t, c.nc.(*net.TCPConn))
			err = c.Request("GET", "/", nil, Header{})
			if !errors.Is(err, ErrClosed) || !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("request on a reset connection: %v, want ErrClosed matching ECONNRESET", err)
			}
		})
	}
	for _, tt := range tests {
		for _, spin := range []time.Duration{time.Second, -1} {
			t.Run(tt.name+map[bool]string{true: " polling", false: " poller"}[spin > 0], func(t *testing.T) {
				srv := startRawTCP(t, tt.serve)
				c, err := Dial(t.Context(), srv.addr(), WithSpinWait(spin))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if (c.spin != nil) != (spin > 0 && runtime.GOOS == "linux") {
					t.Fatalf("spinner %v with WithSpinWait(%v)", c.spin != nil, spin)
				}
				r, body, err := tryExchange(c, "GET", "/", nil, Header{})
				switch {
				case tt.wantIs != nil:
					if !errors.Is(err, tt.wantIs) {
						t.Errorf("error = %v, want one matching %v", err, tt.wantIs)
					}
				case err != nil:
					t.Fatalf("exchange: %v", err)
				case r.StatusCode != 200 || string(body) != tt.want:
					t.Errorf("got %d %q, want 200 %q", r.StatusCode, body, tt.want)
				case spin > 0 && c.spin != nil && c.slow != 0:
					t.Errorf("the poll did not take the answer's first bytes (slow = %d)", c.slow)
				}
			})
		}
	}
}

// TestSpinAdapts: two answers slower than the spin time in a row switch
// polling off; then one wait in probeEvery polls, and a fast answer to it
// switches polling on again. A fast answer is in the socket before the
// client waits (the server says when it wrote it); a slow one comes a
// second after the request, twenty times the spin time.
func TestSpinAdapts(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("polling is Linux's")
	}
	const spin, slowAnswer = 50 * time.Millisecond, time.Second
	delays := []time.Duration{0, slowAnswer, slowAnswer}
	for range probeEvery {
		delays = append(delays, 0)
	}
	answered := make(chan struct{}, len(delays))
	srv := startRawTCP(t, func(nc net.Conn) {
		br := bufio.NewReader(nc)
		for _, d := range delays {
			if _, err := testkit.ReadHead(br); err != nil {
				return
			}
			time.Sleep(d)
			if _, err := io.WriteString(nc, "HTTP/1.1 204 No Content\r\n\r\n"); err != nil {
				return
			}
			answered <- struct{}{}
		}
	})
	c, err := Dial(t.Context(), srv.addr(), WithSpinWait(spin))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// slow after each exchange: on after the fast one, one strike, off;
	// then off through probeEvery-1 waits in the poller, and on again
	// after the probe's fast answer.
	want := []int{0, 1, 2}
	for range probeEvery - 1 {
		want = append(want, 2)
	}
	want = append(want, 0)
	for i, w := range want {
		if err := c.Request("GET", "/", nil, Header{}); err != nil {
			t.Fatal(err)
		}
		if delays[i] == 0 {
			<-answered
		}
		r, err := c.GetResponse()
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if delays[i] != 0 {
			<-answered
		}
		if c.slow != w {
			t.Fatalf("after exchange %d (answer delayed %v): slow = %d, want %d", i+1, delays[i], c.slow, w)
		}
	}
}

// TestSpinDeadlines: a deadline of the caller's, or an inactivity timeout
// shorter than the spin time, leaves the wait to the poller.
func TestSpinDeadlines(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("polling is Linux's")
	}
	srv := startRawTCP(t, respondRaw("HTTP/1.1 204 No Content\r\n\r\n", false))
	for _, tt := range []struct {
		timeout time.Duration
		want    time.Duration
	}{{0, DefaultSpinWait}, {time.Second, DefaultSpinWait}, {100 * time.Microsecond, 0}} {
		c, err := Dial(t.Context(), srv.addr(), WithTimeout(tt.timeout))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got := c.spinFor(); got != tt.want {
			t.Errorf("WithTimeout(%v): spinFor = %v, want %v", tt.timeout, got, tt.want)
		}
		if tt.timeout != 0 {
			continue
		}
		c.SetDeadline(time.Now().Add(time.Hour))
		if got := c.spinFor(); got != 0 {
			t.Errorf("with a deadline: spinFor = %v, want 0", got)
		}
		c.SetDeadline(time.Time{})
		if got := c.spinFor(); got != DefaultSpinWait {
			t.Errorf("deadline cleared: spinFor = %v, want %v", got, DefaultSpinWait)
		}
	}
}

// TestSpinTransportAlone: a Transport's connection polls only while its
// exchange is the Transport's one in flight, and the count of exchanges
// goes back to zero after each.
func TestSpinTransportAlone(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("polling is Linux's")
	}
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	during := make(chan int32, 2)
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		during <- tr.active.Load()
	}), nil)
	for i := range 2 {
		get(t, &http.Client{Transport: tr}, srv.URL+"/")
		if n, after := <-during, tr.active.Load(); n != 1 || after != 0 {
			t.Errorf("request %d: %d exchanges in flight during it, %d after, want 1 and 0", i+1, n, after)
		}
	}
	c := onlyIdle(t, tr) // the one pool's connection
	if c.gate != &tr.active {
		t.Fatal("the pooled connection does not count the Transport's exchanges")
	}
	c.slow = 0 // as if the server had answered fast
	for _, tt := range []struct {
		active int32
		want   time.Duration
	}{{1, DefaultSpinWait}, {2, 0}, {32, 0}} {
		tr.active.Store(tt.active)
		if got := c.spinFor(); got != tt.want {
			t.Errorf("with %d exchanges in flight: spinFor = %v, want %v", tt.active, got, tt.want)
		}
	}
	tr.active.Store(0)

	off := &Transport{SpinWait: -1}
	defer off.CloseIdleConnections()
	get(t, &http.Client{Transport: off}, srv.URL+"/")
	<-during
	if onlyIdle(t, off).spin != nil {
		t.Error("SpinWait -1: the connection polls")
	}
}
