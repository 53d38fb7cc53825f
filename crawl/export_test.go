package crawl

// StopRenewing stops r renewing its leases, as a process cut off from
// the server would, leaving r usable.
func StopRenewing(r *Redis) { r.stopRenewal() }
