package jobs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/grabhq/grab/internal/atomicfile"
)

// Kinds of items.
const (
	KindPage   = "page"   // a target page
	KindImage  = "image"  // an image taken from a page
	KindLink   = "link"   // a link taken from a page
	KindRecord = "record" // the fields taken from a page
)

// Status classifies an item of a run against the runs before it.
type Status string

// The statuses of an item.
const (
	New       Status = "new"       // not seen by the last finished run
	Changed   Status = "changed"   // seen, and its content hash differs
	Unchanged Status = "unchanged" // seen, same content (or 304 Not Modified)
	Gone      Status = "gone"      // seen by the last run, not by this one (or 404/410)
	Failed    Status = "failed"    // could not be fetched this time; remembered as it was
)

// Item is one line of a run report: an item and what happened to it.
type Item struct {
	Kind   string `json:"kind"`
	URL    string `json:"url"`
	Status Status `json:"status"`
	// Page is the page an image, link or record came from.
	Page string `json:"page,omitempty"`
	// HTTPStatus is the final status of the item's request, if one was
	// made (304 for a validator that still held).
	HTTPStatus int `json:"http_status,omitempty"`
	// SHA256 is the hex SHA-256 of the content (of the fields' JSON for a
	// record).
	SHA256 string `json:"sha256,omitempty"`
	Size   int64  `json:"size,omitempty"`
	// File is the downloaded file, relative to the download directory.
	File string `json:"file,omitempty"`
	// Fields are a record's values.
	Fields map[string]any `json:"fields,omitempty"`
	Error  string         `json:"error,omitempty"`
}

// Counts are the number of items of a run in each status.
type Counts struct {
	New       int `json:"new"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	Gone      int `json:"gone"`
	Failed    int `json:"failed"`
}

// Total returns the number of items counted.
func (c Counts) Total() int { return c.New + c.Changed + c.Unchanged + c.Gone + c.Failed }

func (c *Counts) add(s Status) {
	switch s {
	case New:
		c.New++
	case Changed:
		c.Changed++
	case Unchanged:
		c.Unchanged++
	case Gone:
		c.Gone++
	case Failed:
		c.Failed++
	}
}

// RunStatus is the outcome of a run.
type RunStatus string

// The outcomes of a run.
const (
	// Running: the run has started and not finished; a run killed
	// without a chance to checkpoint stays so in the state file (shown
	// as Stopped) until the next run resumes it.
	Running RunStatus = "running"
	// Interrupted: cancelled (SIGTERM, SIGINT, timeouts.run) after saving
	// what it had done; the next run resumes it.
	Interrupted RunStatus = "interrupted"
	// OK: every item was handled.
	OK RunStatus = "ok"
	// Partial: some items failed, or limits.max_items cut the run short.
	Partial RunStatus = "partial"
	// RunFailed: every item failed.
	RunFailed RunStatus = "failed"
	// Stopped is how ReadHistory shows a run the state file holds as
	// Running when no process holds the file: it ended without recording
	// its end (killed, or its last state write failed). The next run
	// resumes it.
	Stopped RunStatus = "stopped"
)

// RunInfo is a run in the history a state file keeps.
type RunInfo struct {
	Job      string    `json:"job"`
	Seq      uint64    `json:"seq"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	Status   RunStatus `json:"status"`
	Counts   Counts    `json:"counts"`
	// Resumed counts the times the run was resumed after an interruption.
	Resumed int `json:"resumed,omitempty"`
	// Truncated is set when limits.max_items stopped the run taking more.
	Truncated bool `json:"truncated,omitempty"`
	// Report is the run's JSON lines report, once published.
	Report    string `json:"report,omitempty"`
	Published bool   `json:"published,omitempty"`
	Error     string `json:"error,omitempty"`
}

// ID returns the run's name in reports: "run-000042".
func (r RunInfo) ID() string { return fmt.Sprintf("run-%06d", r.Seq) }

// Report is the outcome of Runner.Run: the run and its items in the order
// they were found, gone items last.
type Report struct {
	Run   RunInfo
	Items []Item
	// Restored names the damaged state file set aside when the state was
	// restored from its backup before the run ("" normally).
	Restored string
}

// itemLine and summaryLine are the JSON lines of a report file.
type itemLine struct {
	Type string `json:"type"` // "item"
	Run  string `json:"run"`
	*Item
}

type summaryLine struct {
	Type string `json:"type"` // "summary"
	Run  string `json:"run"`
	*RunInfo
}

// WriteJSONL writes the report as JSON lines: one {"type":"item",...} per
// item, then one {"type":"summary",...} with the run and its counts.
func (r *Report) WriteJSONL(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	id := r.Run.ID()
	for i := range r.Items {
		if err := enc.Encode(itemLine{Type: "item", Run: id, Item: &r.Items[i]}); err != nil {
			return err
		}
	}
	if err := enc.Encode(summaryLine{Type: "summary", Run: id, RunInfo: &r.Run}); err != nil {
		return err
	}
	return bw.Flush()
}

// ownerFile, in a job's output directory, holds the name of the job whose
// reports the directory holds, and on a second line ("file: PATH") the
// absolute path of its job file.
const ownerFile = ".grab-job"

// claimOutput makes dir the output directory of the job named name, loaded
// from the job file file ("" when unknown), or fails with ErrSharedOutput
// when it is another job's: reports are named by run number alone, so two
// jobs' would replace each other, and the state of two job files of one
// name would mix (the second calling the first one's items gone). A job
// file recorded there that no longer exists was moved or renamed: the
// directory follows it.
func claimOutput(dir, name, file string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if file != "" {
		if abs, err := filepath.Abs(file); err == nil {
			file = abs
		}
	}
	text := name + "\n"
	if file != "" {
		text += "file: " + file + "\n"
	}
	path := filepath.Join(dir, ownerFile)
	for range 2 {
		b, err := os.ReadFile(path)
		switch {
		case err == nil && len(bytes.TrimSpace(b)) > 0:
			first, rest, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
			owner := strings.TrimSpace(first)
			recorded, _ := strings.CutPrefix(strings.TrimSpace(rest), "file: ")
			switch {
			case owner != name:
				return fmt.Errorf("%w: %s holds the reports of job %q (it says so in %s); give job %q its own output.dir", ErrSharedOutput, dir, owner, ownerFile, name)
			case file == "" || recorded == file || sameFile(recorded, file):
				return nil // sameFile: one file by another path (a symbolic link)
			case recorded != "" && exists(recorded):
				return fmt.Errorf("%w: %s holds the reports of job %q from %s, and %s names a job %q too; give it another name or output.dir (if the job file was moved, remove %s)",
					ErrSharedOutput, dir, name, recorded, file, name, filepath.Join(dir, ownerFile))
			}
			fallthrough // the job file moved, or an older owner file: record it
		case err == nil: // empty, made by hand: taken
			return atomicfile.WriteFile(path, 0o644, func(w io.Writer) error {
				_, err := io.WriteString(w, text)
				return err
			})
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
		// The file appears whole, and never replaces one another run
		// made first, whose name is then read.
		if err := createNew(path, text); !errors.Is(err, atomicfile.ErrExists) {
			return err
		}
	}
	return fmt.Errorf("jobs: %s: cannot tell which job owns it", path)
}

// sameFile reports whether paths a and b name one existing file.
func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// exists reports whether something is at path.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// createNew writes text to the new file path, failing with
// atomicfile.ErrExists when something is there.
func createNew(path, text string) error {
	f, err := atomicfile.CreateNew(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.WriteString(text); err != nil {
		return err
	}
	return f.Commit()
}

// publish writes the report file of a finished run atomically: it appears
// complete or not at all (HOSTILE.md Q2, Q5).
func publish(dir string, r *Report) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, r.Run.ID()+".jsonl")
	err := atomicfile.WriteFile(path, 0o644, r.WriteJSONL)
	return path, err
}

func sortDone(ds []done) {
	slices.SortStableFunc(ds, func(a, b done) int {
		switch {
		case a.N < b.N:
			return -1
		case a.N > b.N:
			return 1
		}
		return 0
	})
}
