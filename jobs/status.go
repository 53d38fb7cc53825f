package jobs

import (
	"errors"
	"io/fs"
	"time"
)

// History is what grab job status shows: the runs the state file
// remembers, oldest first, and the next scheduled time.
type History struct {
	Job  string
	Runs []RunInfo
	// Running is set when another process holds the state file: a run is
	// going (Runs is then empty: the file cannot be read until it ends).
	Running bool
	// Next is the next slot of the job's schedule after now (zero without
	// a schedule).
	Next time.Time
}

// ReadHistory reads j's run history from its state file without changing
// it, waiting up to wait for a run that holds the file. A missing state
// file means no run yet; a held one sets Running. A run recorded as
// Running in a file no process holds is shown as Stopped.
func ReadHistory(j *Job, wait time.Duration) (*History, error) {
	st := &History{Job: j.Name, Next: j.Next(time.Now()).UTC()}
	s, err := openStore(j.StatePath(), wait, true)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return st, nil
	case errors.Is(err, ErrLocked):
		st.Running = true
		return st, nil
	case err != nil:
		return nil, err
	}
	defer s.close()
	st.Runs, err = s.runs()
	for i := range st.Runs {
		if st.Runs[i].Status == Running { // no process holds the file
			st.Runs[i].Status = Stopped
		}
	}
	return st, err
}
