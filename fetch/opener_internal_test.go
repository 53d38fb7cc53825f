package fetch

import (
	"testing"

	"github.com/grabhq/grab/fetch/conn"
)

// TestReadBufferSizeEngines: Opener.ReadBufferSize reaches the default
// transport of each engine, and 0 leaves each its own default.
func TestReadBufferSizeEngines(t *testing.T) {
	for _, size := range []int{0, 128 << 10} {
		o := &Opener{ReadBufferSize: size}
		tr := o.defaultTransport(o.proxyFunc())
		s, ok := tr.(*split)
		if !ok {
			t.Fatalf("EngineAuto's transport is %T, want *split", tr)
		}
		if got := s.plain.ReadBufferSize; got != size {
			t.Errorf("ReadBufferSize %d: conn.Transport has %d", size, got)
		}
		if got := s.std.ReadBufferSize; got != size {
			t.Errorf("ReadBufferSize %d: http.Transport has %d", size, got)
		}
		c := (&Opener{ReadBufferSize: size, Engine: EngineConn}).defaultTransport(nil).(*conn.Transport)
		if c.ReadBufferSize != size {
			t.Errorf("ReadBufferSize %d, EngineConn: conn.Transport has %d", size, c.ReadBufferSize)
		}
	}
}
