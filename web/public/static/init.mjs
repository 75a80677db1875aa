// GOV.UK Frontend's components, then the warning before idle answers are deleted.
import { initAll } from '/assets/govuk-frontend.min.js'
import { startTimeoutWarning } from '/assets/timeout.mjs'

initAll()
startTimeoutWarning(document.querySelector('[data-ct-timeout]'))
