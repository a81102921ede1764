<?cs include:"header.cs" ?><?cs
def:facts(x) ?><?cs
  if:subcount(x.facts) > 0 ?>
  <dl class="facts"><?cs each:f = x.facts ?>
    <dt><?cs var:f.label ?></dt><dd><?cs var:f.value ?></dd><?cs /each ?>
  </dl><?cs /if ?><?cs
  if:subcount(x.sources) > 0 ?>
  <table class="list sources">
    <caption>Sources of failed sign-ins</caption>
    <thead><tr><th scope="col">Address</th><th scope="col">Failed sign-ins</th><th scope="col">Last failure</th></tr></thead>
    <tbody><?cs each:s = x.sources ?>
      <tr><td><?cs var:s.address ?></td><td class="num"><?cs var:s.failed ?></td><td><?cs var:s.last ?></td></tr><?cs /each ?>
    </tbody>
  </table><?cs /if ?><?cs
/def ?>
<p class="links"><a href="/">← Dashboard</a></p>
<h1>Error log: <?cs var:Page.item.name ?></h1>
<section class="panel" id="now">
  <h2>Now</h2>
  <p class="detail"><?cs var:Page.item.about ?></p><?cs
  if:Page.item.ago ?>
  <p class="state <?cs var:Page.item.icon ?>"><img src="/static/state-<?cs var:Page.item.icon ?>.svg" alt="" width="16" height="16"><?cs var:Page.item.word ?> — <?cs var:Page.item.summary ?></p>
  <p class="detail">Checked <?cs var:Page.item.ago ?>; in this state since <?cs var:Page.item.since ?>.</p><?cs
  call:facts(Page.item) ?><?cs
  else ?>
  <p class="state unknown"><img src="/static/state-unknown.svg" alt="" width="16" height="16">Not checked yet.</p><?cs
  /if ?>
</section><?cs
if:subcount(Page.notes) > 0 ?>
<section class="panel" id="whats-new">
  <h2>What's new?</h2><?cs each:n = Page.notes ?>
  <h3>Version <?cs var:n.version ?><?cs if:n.released ?> <span class="detail">released <?cs var:n.released ?></span><?cs /if ?></h3>
  <p class="release-notes"><?cs var:n.notes ?></p><?cs /each ?>
</section><?cs /if ?><?cs
if:Page.recall.shown ?>
<section class="panel" id="what-will-be-fixed">
  <h2>What will be fixed?</h2>
  <dl class="facts"><?cs
    if:Page.recall.reason ?><dt>Why this version is recalled</dt><dd><?cs var:Page.recall.reason ?></dd><?cs /if ?><?cs
    if:Page.recall.fixed_in ?><dt>Fixed in</dt><dd>Version <?cs var:Page.recall.fixed_in ?></dd><?cs /if ?><?cs
    if:Page.recall.downgrade_to ?><dt>Safe version to go back to</dt><dd>Version <?cs var:Page.recall.downgrade_to ?></dd><?cs /if ?>
  </dl><?cs
  if:Page.recall.notes ?>
  <p class="release-notes"><?cs var:Page.recall.notes ?></p><?cs /if ?>
</section><?cs /if ?>
<section class="panel" id="history">
  <h2>History</h2><?cs
  if:Page.entries == 0 ?>
  <p class="detail">No results kept yet. Results are kept for seven days.</p><?cs
  else ?>
  <p class="detail">The last <?cs var:Page.entries ?> results, newest first (at most <?cs var:Page.shown ?>; results are kept for seven days).</p><?cs
  each:e = Page.log ?>
  <article class="log-entry">
    <h3><span class="state <?cs var:e.icon ?>"><img src="/static/state-<?cs var:e.icon ?>.svg" alt="" width="16" height="16"><?cs var:e.word ?></span>
      <time><?cs var:e.at ?></time> <span class="detail"><?cs var:e.ago ?>, took <?cs var:e.duration_ms ?> ms</span></h3>
    <p class="summary"><?cs var:e.summary ?></p><?cs
    call:facts(e) ?>
  </article><?cs /each ?><?cs
  /if ?>
</section>
<?cs include:"footer.cs" ?>
