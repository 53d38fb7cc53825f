package fetch_test

import (
	"io"
	"testing"
)

// Sequential requests reuse one connection, on both transports.
func TestReuse(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		before := w.g.Total()
		for range 20 {
			resp, err := o.Open(t.Context(), w.urls["a"]+"/hello")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp)
			resp.Close()
		}
		if n := w.g.Total() - before; n != 1 {
			t.Errorf("20 sequential requests made %d connections, want 1", n)
		}
	})
}
