// The staff workspace's script (GOV.UK Frontend itself is started by /static/init.mjs):
// MOJ Frontend's components (sortable tables), then, on the process page only, the workflow
// diagram drawn by Mermaid from the source the page carries. Without JavaScript the tables
// keep their server-side order and the page keeps the source and the text lists.
import { initAll } from '/assets/moj/all.bundle.mjs'

initAll()
revealFollowUps()

const figure = document.querySelector('[data-ct-diagram]')

if (figure) {
  drawDiagram(figure).catch((error) => {
    // The lists and the source stay on the page; nothing else needs to change.
    console.warn('The workflow diagram could not be drawn:', error)
  })
}

async function drawDiagram (figure) {
  // The bundle's address carries its content hash (cached for good); its chunks are named
  // by their own hashes.
  const src = figure.dataset.ctMermaidSrc || '/assets/mermaid/mermaid.esm.min.mjs'
  const { default: mermaid } = await import(src)
  const source = figure.querySelector('[data-ct-diagram-source]').textContent
  const drawing = figure.querySelector('[data-ct-diagram-drawing]')
  // Mermaid writes the title and description into the SVG's <title> and <desc>.
  const lines = source.trim().split('\n')
  lines.splice(1, 0,
    `    accTitle: ${oneLine(figure.dataset.title)}`,
    `    accDescr: ${oneLine(figure.dataset.description)}`)
  mermaid.initialize({
    startOnLoad: false,
    securityLevel: 'strict',
    theme: 'neutral',
    fontFamily: 'arial, sans-serif',
    htmlLabels: false
  })
  const { svg } = await mermaid.render('ct-workflow-diagram', lines.join('\n'))
  drawing.innerHTML = svg
  const drawn = drawing.querySelector('svg')
  // The stages and steps listed beside the drawing are its accessible equivalent, so the
  // drawing itself is hidden from assistive technology rather than read out twice.
  drawn.setAttribute('aria-hidden', 'true')
  drawn.setAttribute('focusable', 'false')
  drawing.hidden = false
}

function oneLine (text) {
  return (text || '').replace(/\s+/g, ' ').trim()
}

// A follow-up question shown only while the choice it belongs to is picked (see
// staff/event.html). Kept in view when it holds an answer or an error, so nothing typed or
// reported is ever hidden.
function revealFollowUps () {
  for (const box of document.querySelectorAll('[data-ct-reveal-for]')) {
    const radios = document.querySelectorAll(`input[type="radio"][name="${box.dataset.ctRevealFor}"]`)
    const keep = box.querySelector('.govuk-form-group--error') ||
      [...box.querySelectorAll('input, textarea')].some((el) => el.value.trim() !== '')
    const update = () => {
      const picked = [...radios].find((r) => r.checked)
      box.hidden = !keep && (!picked || picked.value !== box.dataset.ctRevealValue)
    }
    radios.forEach((r) => r.addEventListener('change', update))
    update()
  }
}
