package web

import _ "embed" // for the service worker template

// serviceWorkerTemplate is app-worker.js, a go-app service worker template:
// go-app fills in {{.Version}} and {{.ResourcesToCache}}.
//
//go:embed app-worker.js
var serviceWorkerTemplate string
