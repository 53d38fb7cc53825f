package download

import (
	"bytes"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

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

func TestListKey(t *testing.T) {
	for _, tc := range []struct {
		name, key string
		ok        bool
	}{
		{"a.bin", "a.bin", true},
		{"A.BIN", "a.bin", true},
		{"a.bin.part", "a.bin", true},
		{"a.bin.PART.json", "a.bin", true},
		{"a.bin.part.json.new", "a.bin", true},
		{"a.part.part", "a.part", true},
		{".part", "", true},
		{"café", "", false},
		{"\u212a", "", false}, // the Kelvin sign, which folds onto k
	} {
		key, ok := listKey(tc.name)
		if key != tc.key || ok != tc.ok {
			t.Errorf("listKey(%q) = %q, %v; want %q, %v", tc.name, key, ok, tc.key, tc.ok)
		}
	}
}

// TestUnlisted: a job is unlisted only when the listing of its directory,
// read once per Do, shows none of its files in any case, and only for an
// ASCII name; a directory with more names than listMax, or with a name
// that is not ASCII, is not listed at all.
func TestUnlisted(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b.part", "C.part.json", "d.part.json.new", "E"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{"a": false, "b": false, "c": false, "d": false, "e": false, "f": true, "f.part.x": true, "é": false}
	unlisted := func(max int) map[string]bool {
		b := (&Client{}).newBatch()
		t.Cleanup(b.close)
		b.listMax = max
		got := map[string]bool{}
		for i, name := range []string{"a", "b", "c", "d", "e", "f", "f.part.x", "é"} {
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
	for name, u := range unlisted(4) { // five names: more than max
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
// after the listing is never replaced by the anonymous file's link: the
// transfer starts again through NAME.part, looks everything up, and treats
// the file as one there from the start: kept by Update (the server has
// nothing newer), replaced by Overwrite with the server's content.
func TestFileAfterListing(t *testing.T) {
	srv := httptest.NewServer(testserver.New())
	t.Cleanup(srv.Close)
	server, err := io.ReadAll(testserver.DownloadContent("x", "", 3000))
	if err != nil {
		t.Fatal(err)
	}
	other := []byte("another process's file")
	for _, tc := range []struct {
		policy  Policy
		outcome Outcome
		want    []byte
	}{
		{Update, NotModified, other},
		{Overwrite, Downloaded, server},
	} {
		dir := t.TempDir()
		b := (&Client{IfExists: tc.policy, NoSync: true}).newBatch()
		b.listMax = 100
		j, err := b.prepare(0, Request{URL: srv.URL + "/dl/3000/x", Dir: dir})
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
			t.Errorf("%v: %v, %v after %d attempts; want %v after 2", tc.policy, res.Outcome, res.Err, res.Attempts, tc.outcome)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%v: x holds %d bytes %.20q; want %d", tc.policy, len(got), got, len(tc.want))
		}
		if names, _ := filepath.Glob(filepath.Join(dir, "x.*")); len(names) > 0 {
			t.Errorf("%v: left behind: %v", tc.policy, names)
		}
	}
}
