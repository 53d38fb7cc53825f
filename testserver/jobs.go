package testserver

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Validators chooses the validators a [Changing] file is served with.
type Validators int

// The validators; combine them with |. Zero serves none, so a client can
// only tell a change by the content.
const (
	ETag         Validators = 1 << iota // a strong ETag from the version and content
	LastModified                        // Last-Modified, one minute later at each change
)

// Changing serves files whose content a test changes between requests,
// with validators, and logs the conditional fields of each request: the
// server side of scheduled jobs (grab job), which must send If-None-Match
// and If-Modified-Since and download only what changed. Mount it with
// [Mount] or serve it alone; its zero value serves nothing (404) and is
// ready to use.
//
// A GET or HEAD whose If-None-Match names the current ETag, or whose
// If-Modified-Since is not before the Last-Modified time (checked only
// without If-None-Match, as RFC 9110 says), gets 304 Not Modified. A
// path removed with Remove answers 410 Gone; one never set, 404.
type Changing struct {
	mu      sync.Mutex
	files   map[string]*changingFile
	gone    map[string]bool
	log     []ChangingRequest
	version int
	blocks  map[string]*Block
	fails   map[string]int
}

type changingFile struct {
	body        []byte
	contentType string
	etag        string
	modified    time.Time
	v           Validators
}

// ChangingRequest is one request a Changing served.
type ChangingRequest struct {
	Method, Path    string
	IfNoneMatch     string
	IfModifiedSince string
	Status          int
}

// changingEpoch is the Last-Modified time of version 0.
var changingEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Set serves body at path (as "/page/1.html") with contentType and the
// validators v, replacing what was there: a new version with a new ETag
// and a Last-Modified one minute after the previous change.
func (c *Changing) Set(path, contentType string, body []byte, v Validators) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.files == nil {
		c.files = map[string]*changingFile{}
	}
	c.version++
	sum := sha256.Sum256(body)
	c.files[path] = &changingFile{
		body:        append([]byte(nil), body...),
		contentType: contentType,
		etag:        `"v` + strconv.Itoa(c.version) + "-" + hex.EncodeToString(sum[:4]) + `"`,
		modified:    changingEpoch.Add(time.Duration(c.version) * time.Minute),
		v:           v,
	}
	delete(c.gone, path)
	delete(c.fails, path)
}

// Remove makes path answer 410 Gone.
func (c *Changing) Remove(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.files, path)
	if c.gone == nil {
		c.gone = map[string]bool{}
	}
	c.gone[path] = true
}

// Fail makes path answer with the status code (a 5xx, say) until Set or
// Fail with 0.
func (c *Changing) Fail(path string, code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fails == nil {
		c.fails = map[string]int{}
	}
	if code == 0 {
		delete(c.fails, path)
		return
	}
	c.fails[path] = code
}

// Requests returns the requests served so far, in order.
func (c *Changing) Requests() []ChangingRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ChangingRequest(nil), c.log...)
}

// ResetLog forgets the requests served so far.
func (c *Changing) ResetLog() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = nil
}

// Block is a gate on one path: requests for it wait until Release (or
// until their client goes away).
type Block struct {
	arrived  chan struct{}
	released chan struct{}
	once     sync.Once
	arrive   sync.Once
}

// Arrived is closed when the first request reaches the gate.
func (b *Block) Arrived() <-chan struct{} { return b.arrived }

// Release lets the waiting and later requests through.
func (b *Block) Release() { b.once.Do(func() { close(b.released) }) }

// Block makes requests for path wait at a gate until it is released.
func (c *Changing) Block(path string) *Block {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.blocks == nil {
		c.blocks = map[string]*Block{}
	}
	b := &Block{arrived: make(chan struct{}), released: make(chan struct{})}
	c.blocks[path] = b
	return b
}

func (c *Changing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	b := c.blocks[r.URL.Path]
	c.mu.Unlock()
	if b != nil {
		b.arrive.Do(func() { close(b.arrived) })
		select {
		case <-b.released:
		case <-r.Context().Done():
			return
		}
	}
	c.mu.Lock()
	f := c.files[r.URL.Path]
	gone := c.gone[r.URL.Path]
	rec := ChangingRequest{
		Method: r.Method, Path: r.URL.Path,
		IfNoneMatch:     r.Header.Get("If-None-Match"),
		IfModifiedSince: r.Header.Get("If-Modified-Since"),
	}
	status := http.StatusOK
	switch {
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		status = http.StatusMethodNotAllowed
	case c.fails[r.URL.Path] != 0:
		status = c.fails[r.URL.Path]
		f = nil
	case f == nil && gone:
		status = http.StatusGone
	case f == nil:
		status = http.StatusNotFound
	case notModified(f, rec):
		status = http.StatusNotModified
	}
	rec.Status = status
	c.log = append(c.log, rec)
	c.mu.Unlock()

	if f != nil && status != http.StatusMethodNotAllowed {
		if f.v&ETag != 0 {
			w.Header().Set("ETag", f.etag)
		}
		if f.v&LastModified != 0 {
			w.Header().Set("Last-Modified", f.modified.Format(http.TimeFormat))
		}
	}
	switch status {
	case http.StatusOK:
		w.Header().Set("Content-Type", f.contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(f.body)))
		w.WriteHeader(status)
		if r.Method == http.MethodGet {
			w.Write(f.body)
		}
	case http.StatusNotModified:
		w.WriteHeader(status)
	default:
		http.Error(w, http.StatusText(status), status)
	}
}

// notModified applies If-None-Match, then (only without it)
// If-Modified-Since, against the validators f is served with.
func notModified(f *changingFile, r ChangingRequest) bool {
	if r.IfNoneMatch != "" {
		if f.v&ETag == 0 {
			return false
		}
		for _, t := range strings.Split(r.IfNoneMatch, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == "*" || t == f.etag {
				return true
			}
		}
		return false
	}
	if r.IfModifiedSince != "" && f.v&LastModified != 0 {
		t, err := http.ParseTime(r.IfModifiedSince)
		return err == nil && !f.modified.After(t)
	}
	return false
}
