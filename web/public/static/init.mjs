// GOV.UK Frontend's components, then the warning before idle answers are deleted.
import { initAll } from '/assets/govuk-frontend.min.js'

initAll()

const WARN_BEFORE_SECONDS = 5 * 60
const banner = document.querySelector('[data-ct-expires-in]')

if (banner) {
  const left = Number(banner.getAttribute('data-ct-expires-in'))
  window.setTimeout(() => {
    banner.hidden = false
    banner.setAttribute('role', 'alert')
    const button = banner.querySelector('button')
    if (button) button.focus()
  }, Math.max(0, left - WARN_BEFORE_SECONDS) * 1000)
  // Take the answers off the screen too: someone else may be about to use this device.
  window.setTimeout(() => {
    window.location.assign('/apply/session-expired')
  }, left * 1000)
}
