<?cs include:"header.cs" ?>
<h1>Dashboard</h1>
<section class="panel health" id="health" aria-labelledby="health-title">
  <div class="health-head">
    <h2 id="health-title">Health Status</h2>
    <form method="post" action="/health/check" class="check-now">
      <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
      <button type="submit" class="primary">Check now</button>
    </form>
  </div><?cs
  if:Page.health.ago ?>
  <p class="state <?cs var:Page.health.overall_icon ?> overall"><img src="/static/state-<?cs var:Page.health.overall_icon ?>.svg" alt="" width="20" height="20"><?cs
    if:Page.health.overall == "ok" ?>OK — every item below is healthy.<?cs
    elif:Page.health.overall == "warning" ?>Warning — an item below needs attention.<?cs
    elif:Page.health.overall == "error" ?>Error — an item below is failing.<?cs
    else ?>Not applicable — no item applies yet.<?cs /if ?></p>
  <p class="detail">Last checked <span title="<?cs var:Page.health.at ?>"><?cs var:Page.health.ago ?></span>; checked every minute.</p><?cs
  else ?>
  <p class="state unknown overall"><img src="/static/state-unknown.svg" alt="" width="20" height="20">Not checked yet</p>
  <p class="detail">The connector checks its health every minute; choose <strong>Check now</strong> to check at once.</p><?cs
  /if ?>
  <ul class="health-items"><?cs each:i = Page.health.items ?>
    <li class="health-item <?cs var:i.icon ?>" id="health-<?cs var:i.id ?>">
      <span class="state <?cs var:i.icon ?>"><img src="/static/state-<?cs var:i.icon ?>.svg" alt="" width="16" height="16"><span class="word"><?cs var:i.word ?></span></span>
      <div class="item-body">
        <h3><?cs var:i.name ?></h3>
        <p class="summary"><?cs var:i.summary ?></p>
      </div>
      <div class="item-side"><?cs
      if:i.strip ?><?cs
        # The one raw value in any template (STYLE.md: no raw output):
          health_strip_svg draws it only of states, slot numbers and times,
          never of stored or outside text; tests/unit/test-view.c checks
          that nothing else is printed raw. ?>
        <svg class="strip" viewBox="0 0 <?cs var:Page.health.slots ?> 6" preserveAspectRatio="none" width="240" height="14" role="img" aria-label="<?cs var:i.name ?>: the last 24 hours"><?cs
          escape:"none" ?><?cs var:i.strip_svg ?><?cs /escape ?></svg><?cs
      /if ?>
        <p class="item-meta"><?cs if:i.ago ?><span class="ago">checked <?cs var:i.ago ?></span><?cs else ?><span class="ago">not checked yet</span><?cs /if ?>
          <a href="/health/log?item=<?cs var:i.id ?>">View Error Log</a><?cs
          if:i.whats_new ?> <a href="/health/log?item=<?cs var:i.id ?>#whats-new">What's new?</a><?cs /if ?><?cs
          if:i.what_fixed ?> <a href="/health/log?item=<?cs var:i.id ?>#what-will-be-fixed">What will be fixed?</a><?cs /if ?></p>
      </div>
    </li><?cs /each ?>
  </ul>
</section>
<section class="panel">
  <h2>Connector</h2>
  <dl class="facts">
    <dt>Name</dt><dd class="name"><?cs var:Page.name ?></dd>
    <dt>IP address</dt><dd><?cs var:Page.ip ?></dd>
    <dt>Version</dt><dd><?cs var:Page.version ?></dd>
  </dl>
</section><?cs
if:Page.reg.test_mode ?>
<div class="notice warning" role="status">
  <img src="/static/state-warning.svg" alt="" width="20" height="20">
  <div><strong>Test mode.</strong> This instance may register with a vCenter and a portal on
  loopback addresses (<code>connector-setup init --allow-loopback-peers</code>).</div>
</div><?cs /if ?>
<section class="panel" id="registration">
  <h2>Registration</h2><?cs
  if:Page.reg.registered ?>
  <p class="state ok"><img src="/static/state-ok.svg" alt="" width="16" height="16">OK — registered with vCenter <?cs var:Page.reg.vcenter ?> and AWS <?cs var:Page.reg.region ?> (account <?cs var:Page.reg.account ?>)</p>
  <dl class="facts">
    <dt>Registered</dt><dd><?cs var:Page.reg.at ?> from <?cs var:Page.reg.ip ?></dd>
    <dt>Network proxy</dt><dd><?cs alt:Page.reg.proxy ?>None<?cs /alt ?></dd>
  </dl>
  <p class="links"><a class="button" href="/register">Update the registration</a>
  <a class="button" href="/unregister">Unregister the Connector</a>
  <a class="button" href="/keys">Rotate encryption key</a></p><?cs
  else ?>
  <p class="state unknown"><img src="/static/state-unknown.svg" alt="" width="16" height="16">Not registered</p>
  <p class="detail">Register this connector with vCenter and AWS to start migrations.</p>
  <p class="links"><a class="button primary-link" href="/register"><?cs
    if:Page.reg.draft ?>Continue the registration<?cs else ?>Register the Connector<?cs /if ?></a></p><?cs
  /if ?>
</section>
<?cs include:"footer.cs" ?>
