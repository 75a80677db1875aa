// The warning before an idle session ends (WCAG 2.2.1 Timing adjustable), for the public
// form and the staff workspace alike, after GOV.UK's timeout-warning pattern.
//
// The page carries a hidden region ([data-ct-timeout]) with the seconds left, a small form
// that extends the session, and what to do when time runs out. Three rules keep work safe:
// - typing or clicking counts as activity: the session is extended in the background
//   (a fetch, at most once a minute), so someone writing a long answer is never cut off;
// - the warning appears without taking focus, so keys typed while it appears still go to
//   the field being typed in; it is announced through role="alert" instead;
// - "Keep my answers" is a button in a form of its own, so Enter in a text box submits the
//   question's form, never this one; with scripts its press is a fetch, not a reload.
// Without JavaScript the region stays hidden; the pages say in words when answers go.

const ACTIVITY_EVENTS = ['keydown', 'input', 'pointerdown']
const EXTEND_AT_MOST_EVERY_MS = 60 * 1000
const RECENTLY_MS = 60 * 1000

export function startTimeoutWarning (region) {
  if (!region) return null
  const warning = new TimeoutWarning(region)
  warning.start()
  return warning
}

class TimeoutWarning {
  constructor (region) {
    this.region = region
    this.form = region.querySelector('form')
    this.status = document.querySelector('[data-ct-timeout-status]')
    this.warnBefore = Number(region.dataset.ctWarnBefore || 300)
    this.onExpiry = region.dataset.ctOnExpiry || 'leave'
    this.expiredUrl = region.dataset.ctExpiredUrl
    this.keptText = region.dataset.ctKeptText || ''
    this.lastExtended = Date.now()
    this.lastActivity = 0
    this.timers = []
  }

  start () {
    this.schedule(Number(this.region.dataset.ctExpiresIn))
    for (const name of ACTIVITY_EVENTS) {
      document.addEventListener(name, (event) => this.activity(event), { capture: true, passive: true })
    }
    if (this.form) {
      this.form.addEventListener('submit', (event) => {
        event.preventDefault()
        this.extend()
      })
    }
  }

  schedule (secondsLeft) {
    this.timers.forEach((t) => window.clearTimeout(t))
    const left = Math.max(0, secondsLeft)
    this.timers = [
      window.setTimeout(() => this.warn(), Math.max(0, left - this.warnBefore) * 1000),
      window.setTimeout(() => this.expire(), left * 1000)
    ]
  }

  activity (event) {
    // A press inside the warning itself is handled by its form.
    if (this.form && this.form.contains(event.target)) return
    this.lastActivity = Date.now()
    const due = Date.now() - this.lastExtended >= EXTEND_AT_MOST_EVERY_MS
    if (due || !this.region.hidden) this.extend()
  }

  warn () {
    if (Date.now() - this.lastActivity < RECENTLY_MS) {
      this.extend() // someone is typing right now: no need to interrupt them
      return
    }
    this.region.hidden = false
    this.region.setAttribute('role', 'alert')
  }

  async extend () {
    if (this.extending || !this.form) return
    this.extending = true
    try {
      const response = await window.fetch(this.form.action, {
        method: 'POST',
        body: new window.FormData(this.form),
        headers: { Accept: 'application/json' },
        credentials: 'same-origin'
      })
      if (!response.ok) throw new Error(`status ${response.status}`)
      const kept = await response.json()
      this.lastExtended = Date.now()
      this.showKept(kept)
      this.schedule(Number(kept.expires_in))
    } catch (error) {
      // Nothing is lost: the next page the person sends extends the session too, and
      // a staff form sent after the limit is kept for them through signing in.
      console.warn('The session could not be extended:', error)
    } finally {
      this.extending = false
    }
  }

  showKept (kept) {
    const wasShown = !this.region.hidden
    this.region.hidden = true
    this.region.removeAttribute('role')
    for (const el of document.querySelectorAll('[data-ct-expires-template]')) {
      el.textContent = el.dataset.ctExpiresTemplate.replace('{time}', kept.expires_at)
    }
    if (wasShown && this.status) {
      this.status.textContent = this.keptText.replace('{time}', kept.expires_at)
    }
  }

  expire () {
    if (this.onExpiry === 'leave' && this.expiredUrl) {
      // Take the answers off the screen: someone else may be about to use this device.
      window.location.assign(this.expiredUrl)
      return
    }
    // Staff: stay on the page. What is typed is kept if the form is sent (the server saves
    // it and gives it back after signing in again).
    const expired = this.region.querySelector('[data-ct-expired-text]')
    const live = this.region.querySelector('[data-ct-live-text]')
    if (expired && live) {
      live.hidden = true
      expired.hidden = false
      if (this.form) this.form.hidden = true
    }
    this.region.hidden = false
    this.region.setAttribute('role', 'alert')
  }
}
