// Package jobs runs scheduled data-collection jobs with state between runs.
package jobs
