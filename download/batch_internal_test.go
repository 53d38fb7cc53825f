package download

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

// TestOwnOpener: a Client without an Opener makes its own (own: its
// connections are closed at the end), one that reads ReadBufferSize at
// once; a given one is used as it is.
func TestOwnOpener(t *testing.T) {
	b := (&Client{}).newBatch()
	if !b.own || b.opener.ReadBufferSize != ReadBufferSize {
		t.Errorf("own Opener: own %v, ReadBufferSize %d; want true, %d", b.own, b.opener.ReadBufferSize, ReadBufferSize)
	}
	c := &Client{Opener: b.opener}
	if b2 := c.newBatch(); b2.own || b2.opener != b.opener {
		t.Error("a given Opener was not used as it is")
	}
}

// TestUnlisted: a job is unlisted only when the listing of its directory,
// read once per Do, shows none of its files in any case, and only for an
// ASCII name; a directory with more names than listMax, or with a name
// that is not ASCII, is not listed at all.
func TestUnlisted(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b.part", "C.part.json", "d.part.json.new", "E", "x.part.part", "x.part.part.json"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{"a": false, "b": false, "c": false, "d": false, "e": false, "x.part": false,
		"f": true, "f.part.x": true, "f.part": true, "é": false, "\u212a": false}
	unlisted := func(max int) map[string]bool {
		b := (&Client{}).newBatch()
		t.Cleanup(b.close)
		b.listMax = max
		got := map[string]bool{}
		for i, name := range slices.Sorted(maps.Keys(want)) {
			j, err := b.prepare(i, Request{URL: "http://127.0.0.1:1/x", Dir: dir, Name: name})
			if err != nil {
				t.Fatal(err)
			}
			got[name] = j.unlisted
		}
		return got
	}
	if got := unlisted(100); !maps.Equal(got, want) {
		t.Errorf("unlisted = %v; want %v", got, want)
	}
	for name, u := range unlisted(4) { // seven names: more than max
		if u {
			t.Errorf("%s unlisted in a directory too large to list", name)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "ü"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	for name, u := range unlisted(100) {
		if u {
			t.Errorf("%s unlisted in a directory holding a name that is not ASCII", name)
		}
	}
}

// TestFileAfterListing: a file another process puts under the final name
// after the listing is never replaced on the strength of the listing. A
// small file's link fails on it, a large file's lookup before its part
// finds it, and the transfer starts again looking everything up: IfExists
// decides, as for a file there from the start (Update keeps it, the
// server having nothing newer; Skip keeps it; Overwrite replaces it).
func TestFileAfterListing(t *testing.T) {
	base := testkit.DownloadServer(t)
	other := []byte("another process's file")
	for _, tc := range []struct {
		policy  Policy
		size    int64 // 3000: an anonymous file (on Linux); 100000: NAME.part
		outcome Outcome
		kept    bool
		dedup   bool // the link that failed recorded nothing: no duplicate of itself
	}{
		{Update, 3000, NotModified, true, false},
		{Skip, 3000, Skipped, true, false},
		{Overwrite, 3000, Downloaded, false, false},
		{Overwrite, 3000, Downloaded, false, true},
		{Update, 100000, NotModified, true, false},
		{Skip, 100000, Skipped, true, false},
		{Overwrite, 100000, Downloaded, false, false},
	} {
		name := fmt.Sprintf("%v, %d bytes, dedup %v", tc.policy, tc.size, tc.dedup)
		dir := t.TempDir()
		b := (&Client{IfExists: tc.policy, NoSync: true, Dedup: tc.dedup}).newBatch()
		b.listMax = 100
		j, err := b.prepare(0, Request{URL: fmt.Sprintf("%s/dl/%d/x", base, tc.size), Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if !j.unlisted {
			t.Fatal("x is not unlisted in an empty directory")
		}
		path := filepath.Join(dir, "x")
		if err := os.WriteFile(path, other, 0o666); err != nil {
			t.Fatal(err)
		}
		res := b.run(t.Context(), j)
		b.close()
		requests := 2 // the first, then one asking again after the look
		if tc.policy == Skip {
			requests = 1 // the look skips the file without asking
		}
		if res.Err != nil || res.Outcome != tc.outcome || res.Attempts != requests || res.DuplicateOf != "" {
			t.Errorf("%s: %v (duplicate of %q), %v after %d requests; want %v after %d", name, res.Outcome, res.DuplicateOf, res.Err, res.Attempts, tc.outcome, requests)
		}
		want := other
		if !tc.kept {
			want = testkit.DownloadContent(t, "x", "", tc.size)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: x holds %d bytes %.20q; want %d", name, len(got), got, len(want))
		}
		if names, _ := filepath.Glob(filepath.Join(dir, "x.*")); len(names) > 0 {
			t.Errorf("%s: left behind: %v", name, names)
		}
	}
}

// TestResumeHashBeforeRequest: the prefix of a resumed part is read back
// for its SHA-256 before the request, so a long read (here 256 MiB of a
// sparse part) is not taken for the server's silence by a stall watchdog
// shorter than it (the 8 MiB still to come do not fit in what the
// connection holds when the watchdog would fire).
func TestResumeHashBeforeRequest(t *testing.T) {
	base := testkit.DownloadServer(t)
	const have, size = 256 << 20, 264 << 20
	u := fmt.Sprintf("%s/dl/%d/big", base, size)
	resp, err := http.Head(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	dir := t.TempDir()
	// A part of zeros (a hole) but for its last byte, which the overlap
	// check compares with the server's.
	f, err := os.Create(filepath.Join(dir, "big.part"))
	if err != nil {
		t.Fatal(err)
	}
	var last [1]byte
	testserver.DownloadContent("big", "", size).ReadAt(last[:], have-1)
	if _, err := f.WriteAt(last[:], have-1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	sc, _ := json.Marshal(sidecar{Grab: 1, URLHash: urlHash(u), ETag: resp.Header.Get("Etag"), LastModified: resp.Header.Get("Last-Modified"), Length: size})
	if err := os.WriteFile(filepath.Join(dir, "big.part.json"), sc, 0o666); err != nil {
		t.Fatal(err)
	}
	c := &Client{Stall: 25 * time.Millisecond, Retries: 3, RetryWait: 10 * time.Millisecond, NoSync: true}
	res, err := c.Do(t.Context(), Request{URL: u, Dir: dir})
	if err != nil || res[0].Outcome != Resumed || res[0].Size != size {
		t.Fatalf("Do = %v, %d bytes, %v; want resumed, %d bytes", res[0].Outcome, res[0].Size, err, size)
	}
}

// TestKeepReadsNotStall: with names from the header, Update with a
// checksum reads the existing file back once the answer names it; a long
// read (a 256 MiB sparse file that does not match) is not taken for the
// server's silence by a stall watchdog shorter than it.
func TestKeepReadsNotStall(t *testing.T) {
	base := testkit.DownloadServer(t)
	const size = 8 << 20 // more than the connection holds when the watchdog would fire
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "big"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(256 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	want := testkit.DownloadContent(t, "big", "", size)
	c := &Client{Names: FromHeader, Stall: 25 * time.Millisecond, Retries: 3, RetryWait: 10 * time.Millisecond, NoSync: true}
	res, err := c.Do(t.Context(), Request{URL: fmt.Sprintf("%s/dl/%d/big", base, size), Dir: dir, Checksum: "sha256=" + testkit.SHA256(want)})
	if err != nil || res[0].Outcome != Downloaded || res[0].Size != size {
		t.Fatalf("Do = %v, %d bytes, %v; want downloaded, %d bytes", res[0].Outcome, res[0].Size, err, size)
	}
}
