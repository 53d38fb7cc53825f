package conn

import (
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// spinner reads the first bytes of a response by polling the socket for
// a short while before the goroutine sleeps in the poller. On a server
// that answers within microseconds (loopback, a rack away) a sleeping
// thread's wake-up costs more than the wait, here two context switches
// and an inter-processor interrupt a response; polling keeps the thread
// running. It also writes a small request by a direct system call. Its
// state is the connection's, and the functions given to the socket's
// RawConn are bound once, so neither allocates.
type spinner struct {
	rc          syscall.RawConn
	local, peer net.Addr     // for errors, as net.Conn's
	closed      *atomic.Bool // the Conn's: Close ends a poll
	pollFn      func(uintptr)
	writeFn     func(uintptr)
	p           []byte
	until       time.Time
	n           int
	errno       syscall.Errno
}

func newSpinner(nc net.Conn, closed *atomic.Bool) *spinner {
	tc, ok := nc.(*net.TCPConn) // plain TCP only: TLS records need the whole conn
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	s := &spinner{rc: rc, local: tc.LocalAddr(), peer: tc.RemoteAddr(), closed: closed}
	s.pollFn, s.writeFn = s.poll, s.writeFD
	return s
}

// read reads into p for at most d. done is false when nothing came, or
// the Conn was closed meanwhile (the caller then reads through the
// poller, which reports it); otherwise n and err are what a read of the
// connection would have returned.
func (s *spinner) read(p []byte, d time.Duration) (n int, done bool, err error) {
	if len(p) == 0 {
		return 0, false, nil
	}
	s.p, s.until, s.n, s.errno = p, time.Now().Add(d), 0, syscall.EAGAIN
	cerr := s.rc.Control(s.pollFn)
	s.p = nil
	switch {
	case cerr != nil || s.errno == syscall.EAGAIN || s.closed.Load():
		return 0, false, nil
	case s.errno != 0:
		return 0, true, s.opError("read")
	case s.n == 0:
		return 0, true, io.EOF
	}
	return s.n, true, nil
}

// poll, under the socket's RawConn.Control, reads until bytes, an end or
// an error come, the time is up or the Conn is closed. The socket is
// non-blocking, so the raw system call cannot block (and, unlike
// syscall.Read, does not wake the runtime's monitor thread each time).
func (s *spinner) poll(fd uintptr) {
	for !s.closed.Load() {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&s.p[0])), uintptr(len(s.p)))
		if e == syscall.EINTR {
			continue
		}
		if e != syscall.EAGAIN {
			s.n, s.errno = int(r), e
			return
		}
		if time.Now().After(s.until) {
			return
		}
	}
}

// write writes what of p the socket takes at once by a raw system call,
// which (as in poll) spares the runtime's bookkeeping of a call that may
// block, and the monitor thread's taking the processor away meanwhile: a
// loopback write takes tens of microseconds in the kernel. It returns how
// much was written, and the error a write of the connection would have
// returned (the kernel reports a reset once: writing again would turn it
// into EPIPE); the caller writes the rest through the poller.
func (s *spinner) write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.p, s.n, s.errno = p, 0, 0
	cerr := s.rc.Control(s.writeFn)
	s.p = nil
	switch {
	case cerr != nil || s.errno == syscall.EAGAIN:
		return 0, nil // the poller reports a closed Conn, or waits for room
	case s.errno != 0:
		return 0, s.opError("write")
	}
	return s.n, nil
}

func (s *spinner) writeFD(fd uintptr) {
	for {
		r, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&s.p[0])), uintptr(len(s.p)),
			syscall.MSG_NOSIGNAL, 0, 0) // a closed peer is EPIPE, without SIGPIPE
		if e == syscall.EINTR {
			continue
		}
		s.n, s.errno = int(r), e
		return
	}
}

// opError is s.errno as net.Conn's Read or Write returns it.
func (s *spinner) opError(op string) error {
	return &net.OpError{Op: op, Net: "tcp", Source: s.local, Addr: s.peer, Err: os.NewSyscallError(op, s.errno)}
}
