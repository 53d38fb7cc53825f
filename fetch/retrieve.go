package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/grabhq/grab/internal/atomicfile"
	"github.com/grabhq/grab/internal/redact"
)

// Progress is called as Retrieve writes: done bytes so far of total
// (-1 when the length is unknown). It is called once before the first byte.
type Progress func(done, total int64)

// Retrieve copies target to the file filename with the installed Opener,
// as urllib's urlretrieve: see Opener.Retrieve.
func Retrieve(ctx context.Context, target any, filename string, progress Progress) (string, http.Header, error) {
	return current().Retrieve(ctx, target, filename, progress)
}

// Retrieve copies target to filename, as urlretrieve does, and returns the
// file's name and the response headers. An empty filename means a new
// temporary file, which the caller removes. The body is written to a
// temporary file beside filename and renamed over it only when complete, so
// a failure (a truncated body, a timeout, a full disk) never leaves a
// partial file under the final name, nor changes an existing one; a
// filename that is not a regular file (/dev/null, a FIFO) is written to as
// it is. A final status outside 2xx is an *HTTPError, as from Open.
func (o *Opener) Retrieve(ctx context.Context, target any, filename string, progress Progress) (_ string, _ http.Header, err error) {
	resp, err := o.Open(ctx, target)
	if err != nil {
		return "", nil, err
	}
	defer resp.Close()
	if filename == "" {
		f, terr := os.CreateTemp("", "grab-retrieve-*")
		if terr != nil {
			return "", nil, terr
		}
		filename = f.Name()
		f.Close()
		// The caller gets no name to remove on failure.
		defer func() {
			if err != nil {
				os.Remove(filename)
			}
		}()
	}
	tmp, err := atomicfile.Create(filename)
	if err != nil {
		return "", nil, fmt.Errorf("fetch: retrieve: %w", err)
	}
	defer tmp.Abort()
	var w io.Writer = tmp
	if progress != nil {
		progress(0, resp.ContentLength)
		w = &progressWriter{w: tmp, total: resp.ContentLength, f: progress}
	}
	if _, err := io.Copy(w, resp); err != nil {
		return "", nil, fmt.Errorf("fetch: retrieve %s: %w", redact.String(resp.URL), err)
	}
	if err := tmp.Sync(); err != nil {
		return "", nil, err
	}
	if err := tmp.Commit(); err != nil {
		return "", nil, err
	}
	return filename, resp.Header, nil
}

type progressWriter struct {
	w     io.Writer
	done  int64
	total int64
	f     Progress
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	p.f(p.done, p.total)
	return n, err
}
