<?cs include:"header.cs" ?>
<?cs include:"macros.cs" ?>
<h1>Users</h1>
<section class="panel" id="enumeration">
  <h2>UserProvider Service</h2><?cs
  if:Page.last.outcome == "failed" ?>
  <p class="state error"><img src="/static/state-error.svg" alt="" width="16" height="16">Error — <?cs
    if:Page.listed_at ?>The list below is from <?cs var:Page.listed_at ?>; the last enumeration failed: <?cs
    else ?>There is no list yet; the last enumeration failed: <?cs /if ?><?cs var:Page.last.error ?>.</p>
  <p class="detail">Failed at <?cs var:Page.last.ended ?>. The list is kept until an enumeration succeeds.</p><?cs
  elif:Page.last.outcome == "running" ?>
  <p class="state unknown"><img src="/static/state-unknown.svg" alt="" width="16" height="16">An enumeration is running (started <?cs var:Page.last.started ?>).</p><?cs
  elif:Page.good.ended && Page.listed_at ?>
  <p class="state ok"><img src="/static/state-ok.svg" alt="" width="16" height="16">OK — enumerated <?cs var:Page.good.ended ?><?cs
    if:Page.good.counted ?>: <?cs var:Page.good.added ?> added, <?cs var:Page.good.changed ?> changed, <?cs var:Page.good.removed ?> removed<?cs /if ?>.</p><?cs
  elif:!Page.registered ?>
  <p class="state unknown"><img src="/static/state-unknown.svg" alt="" width="16" height="16">Not applicable — the connector is not registered with vCenter.</p>
  <p class="detail">Once it is, the connector lists vCenter's users and groups every <?cs var:Page.interval ?> minutes.</p>
  <p class="links"><a class="button primary-link" href="/register">Register the Connector</a></p><?cs
  else ?>
  <p class="state unknown"><img src="/static/state-unknown.svg" alt="" width="16" height="16">Not enumerated yet — the first enumeration runs within <?cs var:Page.interval ?> minutes of registration.</p><?cs
  /if ?>
  <dl class="facts">
    <dt>Domain</dt><dd><?cs if:Page.domain ?><?cs var:Page.domain ?><?cs elif:Page.listed_domain ?><?cs var:Page.listed_domain ?><?cs elif:Page.registered ?>vCenter's default domain<?cs else ?>—<?cs /if ?></dd>
    <dt>Users</dt><dd><?cs var:Page.total.users ?></dd>
    <dt>Groups</dt><dd><?cs var:Page.total.groups ?></dd>
    <dt>List from</dt><dd><?cs alt:Page.listed_at ?>—<?cs /alt ?></dd>
    <dt>Enumerated</dt><dd>every <?cs var:Page.interval ?> minutes with the service account <?cs alt:Page.account ?>—<?cs /alt ?></dd>
  </dl>
</section>
<section class="panel" id="list">
  <h2>vCenter users and groups</h2>
  <form method="get" action="/users" class="filter" role="search">
    <div class="field">
      <label for="filter">Filter</label>
      <input id="filter" name="filter" maxlength="100" value="<?cs var:Page.filter ?>" autocomplete="off">
      <p class="help">Part of a name or full name; capitals A to Z do not matter (other letters match as typed).</p>
    </div>
    <div class="actions">
      <button type="submit" class="secondary">Filter</button><?cs
      if:Page.filter ?>
      <a class="button" href="/users">Show all</a><?cs /if ?>
    </div>
  </form><?cs
  if:Page.matched > 0 ?>
  <table class="list">
    <caption><?cs var:Page.first ?>–<?cs var:Page.last ?> of <?cs var:Page.matched ?><?cs
      if:Page.filter ?> matching “<?cs var:Page.filter ?>”<?cs /if ?></caption>
    <thead><tr><th scope="col">Name</th><th scope="col">Full name</th><th scope="col">Kind</th><th scope="col">First seen</th><th scope="col">Last change</th></tr></thead>
    <tbody><?cs each:u = Page.rows ?>
      <tr><td><?cs var:u.principal ?></td><td><?cs var:u.full_name ?></td><td><?cs if:u.group ?>Group<?cs else ?>User<?cs /if ?></td><td><?cs var:u.first_seen ?></td><td><?cs var:u.changed ?></td></tr><?cs /each ?>
    </tbody>
  </table><?cs
    if:Page.pages > 1 ?>
  <nav class="pager" aria-label="Pages"><?cs
    if:Page.prev ?><a class="button" href="<?cs var:Page.prev ?>" rel="prev">Previous</a><?cs /if ?>
    <span>Page <?cs var:Page.page ?> of <?cs var:Page.pages ?></span><?cs
    if:Page.next ?><a class="button" href="<?cs var:Page.next ?>" rel="next">Next</a><?cs /if ?>
  </nav><?cs /if ?><?cs
  elif:Page.filter ?>
  <p class="detail">No user or group matches “<?cs var:Page.filter ?>”.</p><?cs
  else ?>
  <p class="detail">The list is empty.</p><?cs /if ?>
</section>
<section class="panel" id="directory">
  <h2>Directory</h2>
  <p class="lead">Which domain the connector lists, and how many entries vCenter answers to one
  search. A larger directory is still listed whole: searches that come back full are narrowed.</p><?cs
  call:form_notice() ?>
  <form method="post" action="/users/directory">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <div class="field<?cs if:Errors.domain ?> invalid<?cs /if ?>">
      <label for="domain">Domain to enumerate</label>
      <input id="domain" name="domain" maxlength="253" autocomplete="off" spellcheck="false"
        value="<?cs if:Page.form.sent ?><?cs var:Page.form.domain ?><?cs else ?><?cs var:Page.set.domain ?><?cs /if ?>"<?cs
        call:focus_on_error("domain") ?><?cs if:Errors.domain ?> aria-describedby="domain-error"<?cs /if ?>><?cs
      call:field_error("domain", "domain") ?>
      <p class="help">Blank: the service account's domain (<?cs alt:Page.account_domain ?>vCenter's default<?cs /alt ?>), such as vsphere.local.</p>
    </div>
    <div class="field<?cs if:Errors.limit ?> invalid<?cs /if ?>">
      <label for="limit">Entries vCenter answers at most</label>
      <input id="limit" name="limit" maxlength="7" class="short" inputmode="numeric" autocomplete="off"
        value="<?cs if:Page.form.sent ?><?cs var:Page.form.limit ?><?cs else ?><?cs var:Page.set.limit ?><?cs /if ?>"<?cs
        call:focus_on_error("limit") ?><?cs if:Errors.limit ?> aria-describedby="limit-error"<?cs /if ?>><?cs
      call:field_error("limit", "limit") ?>
      <p class="help">vCenter's "Query limit size" (advanced setting ads.maxFetch). Blank: vCenter's default, <?cs var:Page.default_limit ?>. In use: <?cs var:Page.limit ?>.</p>
    </div>
    <div class="actions">
      <button type="submit" class="primary">Save</button>
    </div>
  </form>
</section>
<?cs include:"footer.cs" ?>
