package testserver

import (
	"io"
	"net"
	"sync"
)

// limitListener accepts at most n connections at a time (HOSTILE.md R12),
// as golang.org/x/net/netutil.LimitListener does. Unlike that one, its
// connections keep the accepted connection's ReadFrom, so net/http still
// sends a file with sendfile(2) rather than copying it through a buffer:
// without it `grab serve` spent as much CPU as the client fetching from it.
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
	if rf, ok := c.(io.ReaderFrom); ok {
		return &limitReaderFromConn{lc, rf}, nil
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

// limitReaderFromConn is a limitConn whose connection has a ReadFrom (a
// *net.TCPConn: sendfile and splice).
type limitReaderFromConn struct {
	*limitConn
	rf io.ReaderFrom
}

func (c *limitReaderFromConn) ReadFrom(r io.Reader) (int64, error) { return c.rf.ReadFrom(r) }
