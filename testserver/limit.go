package testserver

import (
	"io"
	"net"
	"sync"
)

// limitListener accepts at most n connections at a time (HOSTILE.md R12),
// as golang.org/x/net/netutil.LimitListener does. Unlike that one, its TCP
// connections keep their ReadFrom, so net/http sends a file with
// sendfile(2) rather than copying it through a buffer (without it `grab
// serve` spent as much CPU as the client fetching from it), and their
// CloseWrite, which net/http's graceful close uses.
type limitListener struct {
	net.Listener
	sem       chan struct{}
	closeOnce sync.Once
	done      chan struct{}
}

func newLimitListener(l net.Listener, n int) *limitListener {
	return &limitListener{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

// Accept waits for a free slot, then for a connection.
func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	lc := &limitConn{Conn: c, release: func() { <-l.sem }}
	if tc, ok := c.(*net.TCPConn); ok {
		return &limitTCPConn{lc, tc}, nil
	}
	return lc, nil
}

// Close stops Accept, also one waiting for a slot.
func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// limitConn gives its slot back when it is closed, once.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// limitTCPConn is a limitConn over a TCP connection, whose ReadFrom
// (sendfile, splice) and CloseWrite (net/http's graceful close) it keeps.
type limitTCPConn struct {
	*limitConn
	tc *net.TCPConn
}

func (c *limitTCPConn) ReadFrom(r io.Reader) (int64, error) { return c.tc.ReadFrom(r) }
func (c *limitTCPConn) CloseWrite() error                   { return c.tc.CloseWrite() }
