package testserver

import (
	"net"
	"sync"
)

// limitListener accepts at most n connections at a time (HOSTILE.md R12),
// as golang.org/x/net/netutil.LimitListener does. Unlike that one, its
// connections are *net.TCPConn underneath and keep its ReadFrom, so
// net/http sends a file with sendfile(2) rather than copying it through a
// buffer (without it `grab serve` spent as much CPU as the client fetching
// from it), and its CloseWrite, which net/http's graceful close uses.
type limitListener struct {
	*net.TCPListener
	sem       chan struct{}
	closeOnce sync.Once
	done      chan struct{}
}

func newLimitListener(l *net.TCPListener, n int) *limitListener {
	return &limitListener{TCPListener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

// Accept waits for a free slot, then for a connection.
func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.AcceptTCP()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{TCPConn: c, sem: l.sem}, nil
}

// Close stops Accept, also one waiting for a slot.
func (l *limitListener) Close() error {
	err := l.TCPListener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// limitConn gives its slot back when it is closed, once.
type limitConn struct {
	*net.TCPConn
	once sync.Once
	sem  chan struct{}
}

func (c *limitConn) Close() error {
	err := c.TCPConn.Close()
	c.once.Do(func() { <-c.sem })
	return err
}
