package download

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/grabhq/grab/internal/testkit"
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
	}{
		{Update, 3000, NotModified, true},
		{Skip, 3000, Skipped, true},
		{Overwrite, 3000, Downloaded, false},
		{Update, 100000, NotModified, true},
		{Skip, 100000, Skipped, true},
		{Overwrite, 100000, Downloaded, false},
	} {
		name := fmt.Sprintf("%v, %d bytes", tc.policy, tc.size)
		dir := t.TempDir()
		b := (&Client{IfExists: tc.policy, NoSync: true}).newBatch()
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
		if res.Err != nil || res.Outcome != tc.outcome || res.Attempts != 2 {
			t.Errorf("%s: %v, %v after %d attempts; want %v after 2", name, res.Outcome, res.Err, res.Attempts, tc.outcome)
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
