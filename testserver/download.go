package testserver

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The download endpoints, for downloaders and their tests and benchmarks:
//
//	endpoint              what it serves
//	GET /dl/{size}/{name} size bytes (a number, or with k, KiB, M, MiB, G or GiB;
//	                      at most 64 GiB) of deterministic content chosen by name
//	                      and the v parameter, generated as it is sent (never held
//	                      in memory), with Range, If-Range, If-None-Match and
//	                      If-Modified-Since through http.ServeContent, a strong
//	                      ETag and a Last-Modified
//
// Parameters, always available:
//
//	v         version: another v is another content, ETag and Last-Modified
//	rate      send at most rate bytes a second (1 to 1 TiB); the waiting of
//	          one response adds up to at most the server's maximum delay, then
//	          the rest goes at full speed
//	etag=0    no ETag; lastmod=0 no Last-Modified; weak=1 a weak ETag
//	filename  Content-Disposition: attachment with this file name, quoted
//	          as RFC 2183 and RFC 2231 ask
//
// With [WithFaults] only (otherwise a 404 says so):
//
//	cd        Content-Disposition set to this value verbatim (hostile names)
//	mode      drop: send after bytes of the body, then close; stall: send
//	          after bytes, wait for (the maximum delay by default), close;
//	          status: answer status (429 or 503, default 503) with
//	          Retry-After: retry-after seconds (default 1); norange: ignore
//	          Range and If-Range (200 with the whole body); noifrange: honour
//	          Range but ignore If-Range (a 206 of the version served now,
//	          whatever version the client holds)
//	          A list ("drop,norange,ok") gives the mode of each request in
//	          turn, "ok" for none; requests past the list are served normally
//	key, fail a single mode applies to the first fail requests (default 1; 0
//	          for every request), counted per key (default: the path)
//	change=1  every request is a new version ("v~N", N counting per key),
//	          so the validators change between attempts
//	after     body bytes sent before a drop or a stall (default 1024)
//
// The content at offset i of (name, v) is byte (i+s) mod P of one fixed
// pseudo-random block of P bytes (P = 1 MiB + 7), s a hash of name and v:
// [DownloadContent] returns it, so a test can compare files byte for byte.

// downloadMax caps the size a /dl/ URL may ask for.
const downloadMax = 64 << 30

// downloadPeriod is the length of the block the content repeats: a prime
// near 1 MiB, so content spliced at a wrong offset never lines up.
const downloadPeriod = 1<<20 + 7

// downloadEpoch is the Last-Modified of every version, plus a few seconds
// chosen by the version.
var downloadEpoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// downloadBlock is the fixed block the content is cut from. It is computed
// once and never changed.
var downloadBlock = sync.OnceValue(func() []byte {
	r := rand.New(rand.NewChaCha8([32]byte{'g', 'r', 'a', 'b'}))
	b := make([]byte, downloadPeriod)
	for i := 0; i+8 <= len(b); i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := len(b) &^ 7; i < len(b); i++ {
		b[i] = byte(r.Uint32())
	}
	return b
})

func downloadSeed(name, version string) uint64 {
	h := fnv.New64a()
	io.WriteString(h, name)
	h.Write([]byte{0})
	io.WriteString(h, version)
	return h.Sum64()
}

// DownloadContent returns the content /dl/{size}/{name}?v=version serves:
// a reader of size bytes that can seek and read at any offset.
func DownloadContent(name, version string, size int64) *io.SectionReader {
	return io.NewSectionReader(&downloadContent{shift: int64(downloadSeed(name, version) % downloadPeriod)}, 0, size)
}

// downloadContent reads the endless content of one version.
type downloadContent struct{ shift int64 }

func (c *downloadContent) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	b := downloadBlock()
	n := 0
	pos := (off + c.shift) % downloadPeriod
	for n < len(p) {
		k := copy(p[n:], b[pos:])
		n += k
		pos = 0
	}
	return n, nil
}

// parseDownloadSize reads a size such as 65536, 64k, 64KiB, 50MiB or 2G (powers of
// 1024).
func parseDownloadSize(s string) (int64, error) {
	num := strings.TrimRight(s, "kKMGiBb")
	mult := int64(1)
	switch strings.TrimPrefix(s, num) {
	case "":
	case "k", "K", "KiB", "kiB", "KB", "kB":
		mult = 1 << 10
	case "M", "MiB", "MB":
		mult = 1 << 20
	case "G", "GiB", "GB":
		mult = 1 << 30
	default:
		return 0, fmt.Errorf("size %q: want a number of bytes, or with k, KiB, M, MiB, G or GiB", s)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > downloadMax/mult {
		return 0, fmt.Errorf("size %q: want 0 to 64 GiB", s)
	}
	return n * mult, nil
}

func (h *handler) downloadRoutes() {
	h.handle("GET /dl/{size}/{name}", "?v=&rate=&filename= generated file with Range, ETag, Last-Modified", http.HandlerFunc(h.download))
}

func (h *handler) download(w http.ResponseWriter, r *http.Request) {
	size, err := parseDownloadSize(r.PathValue("size"))
	if err != nil {
		http.Error(w, "dl: "+err.Error(), http.StatusNotFound)
		return
	}
	name := r.PathValue("name")
	q := r.URL.Query()
	p := &faultParams{q: q}
	version := q.Get("v")
	rate := p.int("rate", 0, 1, 1<<40)
	noETag := q.Get("etag") == "0"
	noLastMod := q.Get("lastmod") == "0"
	weak := p.bool("weak")
	filename := q.Get("filename")
	faulty := q.Has("cd") || q.Has("mode") || q.Has("change")
	if faulty && !h.cfg.faults {
		http.Error(w, "dl: cd, mode and change are fault parameters: start the server with faults on", http.StatusNotFound)
		return
	}
	var modes []string
	if q.Has("mode") {
		for m := range strings.SplitSeq(q.Get("mode"), ",") {
			switch m {
			case "drop", "stall", "status", "norange", "noifrange", "ok":
				modes = append(modes, m)
			default:
				p.fail("mode", "drop, stall, status, norange, noifrange or ok, or a list of them", q.Get("mode"))
			}
		}
		if len(modes) > faultMaxCount {
			p.fail("mode", fmt.Sprintf("at most %d modes", faultMaxCount), q.Get("mode"))
		}
	}
	key := q.Get("key")
	if key == "" {
		key = r.URL.Path
	}
	if len(key) > faultMaxKey {
		p.fail("key", fmt.Sprintf("at most %d bytes", faultMaxKey), key)
	}
	fail := p.int("fail", 1, 0, faultMaxCount)
	after := p.int("after", 1024, 0, downloadMax)
	stallFor := p.dur("for", h.cfg.maxDelay)
	change := p.bool("change")
	status := http.StatusServiceUnavailable
	retryAfter := int64(1)
	if slices.Contains(modes, "status") {
		status = p.status(http.StatusServiceUnavailable, 429, 503)
		retryAfter = p.int("retry-after", 1, 0, faultMaxRetry)
	}
	if p.err != nil {
		faultBad(w, p.err)
		return
	}

	// Count this request (per key) when a fault needs to know which one it is.
	n := 0
	if len(modes) > 0 || change {
		n = h.next("dl:" + key)
	}
	if change {
		version = fmt.Sprintf("%s~%d", version, n)
	}
	mode := ""
	switch {
	case len(modes) == 1 && (fail == 0 || int64(n) <= fail):
		mode = modes[0]
	case len(modes) > 1 && n <= len(modes):
		mode = modes[n-1]
	}
	misbehave := mode != "" && mode != "ok"

	seed := downloadSeed(name, version)
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	if !noETag {
		etag := fmt.Sprintf(`"%x-%016x"`, size, seed)
		if weak {
			etag = "W/" + etag
		}
		hd.Set("Etag", etag)
	}
	var modtime time.Time
	if !noLastMod {
		modtime = downloadEpoch.Add(time.Duration(seed%100000) * time.Second)
	}
	switch {
	case q.Has("cd"):
		hd["Content-Disposition"] = []string{q.Get("cd")}
	case filename != "":
		if v := mime.FormatMediaType("attachment", map[string]string{"filename": filename}); v != "" {
			hd.Set("Content-Disposition", v)
		}
	}
	if misbehave {
		switch mode {
		case "status":
			hd.Del("Etag")
			hd.Set("Retry-After", strconv.FormatInt(retryAfter, 10))
			http.Error(w, http.StatusText(status), status)
			return
		case "norange":
			r = r.Clone(r.Context())
			r.Header.Del("Range")
			r.Header.Del("If-Range")
		case "noifrange":
			r = r.Clone(r.Context())
			r.Header.Del("If-Range")
		}
	}
	body := &downloadBody{
		r:      DownloadContent(name, version, size),
		h:      h,
		req:    r,
		rate:   rate,
		after:  -1,
		budget: h.cfg.maxDelay,
	}
	switch mode {
	case "drop":
		body.after = after
	case "stall":
		body.after, body.stallBy = after, stallFor
	}
	http.ServeContent(w, r, "", modtime, body)
}

// downloadBody is the content as ServeContent reads it: it seeks, and
// as it is read it may go slowly, stop after some bytes, or stall.
type downloadBody struct {
	r       *io.SectionReader
	h       *handler
	req     *http.Request
	rate    int64         // bytes a second, 0 for no limit
	after   int64         // bytes to read before failing, -1 for all
	stallBy time.Duration // wait this long before failing
	budget  time.Duration // waiting left for the rate limit
	read    int64         // bytes read since the last seek
}

var errDownloadFault = errors.New("dl: fault: connection dropped")

func (b *downloadBody) Seek(off int64, whence int) (int64, error) {
	b.read = 0
	return b.r.Seek(off, whence)
}

func (b *downloadBody) Read(p []byte) (int, error) {
	if b.after >= 0 {
		left := b.after - b.read
		if left <= 0 {
			if b.stallBy > 0 {
				b.h.sleep(b.req, b.stallBy)
			}
			return 0, errDownloadFault
		}
		if int64(len(p)) > left {
			p = p[:left]
		}
	}
	if b.rate > 0 && b.budget > 0 {
		// Pieces of about 20 ms at the rate, each followed by its wait.
		piece := max(b.rate/50, 1)
		if int64(len(p)) > piece {
			p = p[:piece]
		}
		d := time.Duration(float64(len(p)) / float64(b.rate) * float64(time.Second))
		b.budget -= d
		if !b.h.sleep(b.req, d) {
			return 0, b.req.Context().Err()
		}
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}
