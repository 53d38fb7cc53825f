package crawl

// StopRenewing stops r renewing its leases, as a process cut off from
// the server would, leaving r usable.
func StopRenewing(r *Redis) {
	r.mu.Lock()
	stop, stopped := r.stop, r.stopped
	r.mu.Unlock()
	if stop != nil {
		stop()
		<-stopped
	}
}
