<?cs include:"header.cs" ?>
<?cs include:"macros.cs" ?><?cs
def:sort_head(col, label) ?>
      <th scope="col"<?cs if:Page.cols[col].aria ?> aria-sort="<?cs var:Page.cols[col].aria ?>"<?cs /if ?>><a href="<?cs var:Page.cols[col].href ?>"><?cs var:label ?><?cs
        if:Page.cols[col].aria == "ascending" ?> <span aria-hidden="true">▲</span><?cs
        elif:Page.cols[col].aria == "descending" ?> <span aria-hidden="true">▼</span><?cs /if ?></a></th><?cs
/def ?><?cs
def:region_select(form) ?>
      <select id="<?cs var:form ?>-region" name="region"<?cs if:Errors.region && Page.posted == form ?> aria-describedby="<?cs var:form ?>-region-error"<?cs /if ?>><?cs
        each:r = Page.regions ?>
        <option value="<?cs var:r ?>"<?cs if:r == Page.form.region ?> selected<?cs /if ?>><?cs var:r ?></option><?cs
        /each ?>
      </select><?cs
/def ?>
<h1>Migrations</h1>
<section class="panel" id="vms">
  <h2>Tracked VMs</h2>
  <p class="state <?cs var:Page.fresh.level ?>" id="freshness"><img src="/static/state-<?cs var:Page.fresh.level ?>.svg" alt="" width="16" height="16"><?cs
    if:Page.fresh.level == "ok" ?>OK — <?cs elif:Page.fresh.level == "warning" ?>Warning — <?cs elif:Page.fresh.level == "error" ?>Error — <?cs /if ?><?cs var:Page.fresh.text ?></p><?cs
  if:Page.fresh.running ?>
  <p class="detail">A poll is running now.</p><?cs /if ?><?cs
  if:Page.total > 0 ?>
  <table class="list migrations">
    <caption>VMs <?cs var:Page.first ?>–<?cs var:Page.last ?> of <?cs var:Page.total ?>, sorted by <?cs var:Page.sort ?> (<?cs if:Page.order == "desc" ?>descending<?cs else ?>ascending<?cs /if ?>)</caption>
    <thead><tr><?cs
      call:sort_head("name", "VM") ?><?cs
      call:sort_head("state", "State") ?><?cs
      call:sort_head("progress", "Progress") ?><?cs
      call:sort_head("result", "AMI / instance") ?><?cs
      call:sort_head("changed", "Last change") ?>
    </tr></thead>
    <tbody><?cs each:v = Page.rows ?>
      <tr class="vm">
        <td data-label="VM"><span class="vm-name"><?cs var:v.name ?></span>
          <span class="detail"><?cs var:v.moref ?> · <?cs var:v.region ?><?cs if:v.task ?> · <code><?cs var:v.task ?></code><?cs /if ?></span></td>
        <td data-label="State"><span class="state <?cs var:v.level ?>"><img src="/static/state-<?cs var:v.level ?>.svg" alt="" width="16" height="16"><?cs var:v.label ?></span><?cs
          if:v.message ?>
          <span class="detail"><?cs var:v.message ?></span><?cs /if ?></td>
        <td class="num" data-label="Progress"><?cs if:?v.progress ?><progress max="100" value="<?cs var:v.progress ?>" aria-hidden="true"></progress> <?cs var:v.progress ?>%<?cs else ?>—<?cs /if ?></td>
        <td data-label="AMI / instance"><?cs if:v.image ?><code><?cs var:v.image ?></code><?cs
          elif:v.instance ?><code><?cs var:v.instance ?></code><?cs if:v.instance_state ?> <span class="detail"><?cs var:v.instance_state ?></span><?cs /if ?><?cs
          else ?>—<?cs /if ?></td>
        <td class="when" data-label="Last change"><?cs var:v.changed ?></td>
      </tr><?cs /each ?>
    </tbody>
  </table>
  <nav class="pager" aria-label="Pages">
    <span>Page <?cs var:Page.page ?> of <?cs var:Page.pages ?></span><?cs
    if:Page.first_href ?>
    <a class="button" href="<?cs var:Page.first_href ?>">First</a>
    <a class="button" href="<?cs var:Page.prev_href ?>" rel="prev">Previous</a><?cs /if ?><?cs
    if:Page.next_href ?>
    <a class="button" href="<?cs var:Page.next_href ?>" rel="next">Next</a>
    <a class="button" href="<?cs var:Page.last_href ?>">Last</a><?cs /if ?>
  </nav><?cs
  else ?>
  <p class="detail">No imports tracked yet. Start one below, or track one started elsewhere.</p><?cs
  /if ?>
</section>
<section class="panel" id="import">
  <h2>Start an import</h2>
  <p class="lead">Imports a disk image already in S3 as an AMI (EC2 ImportImage), for the vCenter VM
  it came from. At most <?cs var:Page.slots ?> imports run at once in a region; the others wait in
  the queue and start as imports finish.</p><?cs
  if:Page.posted == "import" ?><?cs call:form_error_notice("Not started.") ?><?cs
    if:!Errors.form && Errors.any ?>
  <div class="notice error" role="alert">
    <img src="/static/state-error.svg" alt="" width="20" height="20">
    <div><strong>Not started.</strong> Correct the fields marked below; nothing was changed.</div>
  </div><?cs /if ?><?cs /if ?><?cs
  if:!Page.registered ?>
  <p class="state unknown"><img src="/static/state-unknown.svg" alt="" width="16" height="16">Not available — the connector is not registered. <a href="/register">Register the connector</a></p><?cs
  else ?>
  <form method="post" action="/migrations/import">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <div class="field<?cs if:Errors.vm_id && Page.posted == "import" ?> invalid<?cs /if ?>">
      <label for="import-vm_id">vCenter VM id</label>
      <input id="import-vm_id" name="vm_id" maxlength="80" autocomplete="off" spellcheck="false"
        value="<?cs if:Page.posted == "import" ?><?cs var:Page.form.vm_id ?><?cs /if ?>"<?cs
        if:Page.posted == "import" ?><?cs call:focus_on_error("vm_id") ?><?cs if:Errors.vm_id ?> aria-describedby="import-vm_id-error"<?cs /if ?><?cs /if ?>><?cs
      if:Page.posted == "import" ?><?cs call:field_error("vm_id", "import-vm_id") ?><?cs /if ?>
      <p class="help">The VM's managed object id, such as <code>vm-42</code>.</p>
    </div>
    <div class="field<?cs if:Errors.vm_name && Page.posted == "import" ?> invalid<?cs /if ?>">
      <label for="import-vm_name">VM name</label>
      <input id="import-vm_name" name="vm_name" maxlength="255" autocomplete="off"
        value="<?cs if:Page.posted == "import" ?><?cs var:Page.form.vm_name ?><?cs /if ?>"<?cs
        if:Page.posted == "import" ?><?cs call:focus_on_error("vm_name") ?><?cs if:Errors.vm_name ?> aria-describedby="import-vm_name-error"<?cs /if ?><?cs /if ?>><?cs
      if:Page.posted == "import" ?><?cs call:field_error("vm_name", "import-vm_name") ?><?cs /if ?>
    </div>
    <div class="field<?cs if:Errors.bucket && Page.posted == "import" ?> invalid<?cs /if ?>">
      <label for="bucket">S3 bucket</label>
      <input id="bucket" name="bucket" maxlength="63" autocomplete="off" spellcheck="false"
        value="<?cs if:Page.posted == "import" ?><?cs var:Page.form.bucket ?><?cs /if ?>"<?cs
        if:Page.posted == "import" ?><?cs call:focus_on_error("bucket") ?><?cs if:Errors.bucket ?> aria-describedby="bucket-error"<?cs /if ?><?cs /if ?>><?cs
      if:Page.posted == "import" ?><?cs call:field_error("bucket", "bucket") ?><?cs /if ?>
    </div>
    <div class="field<?cs if:Errors.key && Page.posted == "import" ?> invalid<?cs /if ?>">
      <label for="key">S3 object key</label>
      <input id="key" name="key" maxlength="1024" autocomplete="off" spellcheck="false"
        value="<?cs if:Page.posted == "import" ?><?cs var:Page.form.key ?><?cs /if ?>"<?cs
        if:Page.posted == "import" ?><?cs call:focus_on_error("key") ?><?cs if:Errors.key ?> aria-describedby="key-error"<?cs /if ?><?cs /if ?>><?cs
      if:Page.posted == "import" ?><?cs call:field_error("key", "key") ?><?cs /if ?>
      <p class="help">The image's key in the bucket, such as <code>images/web01.vmdk</code>.</p>
    </div>
    <div class="field<?cs if:Errors.format && Page.posted == "import" ?> invalid<?cs /if ?>">
      <label for="format">Disk format</label>
      <select id="format" name="format">
        <option value="VMDK"<?cs if:Page.form.format == "VMDK" ?> selected<?cs /if ?>>VMDK</option>
        <option value="OVA"<?cs if:Page.form.format == "OVA" ?> selected<?cs /if ?>>OVA</option>
        <option value="VHD"<?cs if:Page.form.format == "VHD" ?> selected<?cs /if ?>>VHD</option>
        <option value="RAW"<?cs if:Page.form.format == "RAW" ?> selected<?cs /if ?>>RAW</option>
      </select><?cs
      if:Page.posted == "import" ?><?cs call:field_error("format", "format") ?><?cs /if ?>
    </div>
    <div class="field<?cs if:Errors.region && Page.posted == "import" ?> invalid<?cs /if ?>">
      <label for="import-region">Region</label><?cs
      call:region_select("import") ?><?cs
      if:Page.posted == "import" ?><?cs call:field_error("region", "import-region") ?><?cs /if ?>
    </div>
    <div class="field<?cs if:Errors.description && Page.posted == "import" ?> invalid<?cs /if ?>">
      <label for="description">Description (optional)</label>
      <input id="description" name="description" maxlength="255" autocomplete="off"
        value="<?cs if:Page.posted == "import" ?><?cs var:Page.form.description ?><?cs /if ?>"<?cs
        if:Page.posted == "import" ?><?cs call:focus_on_error("description") ?><?cs if:Errors.description ?> aria-describedby="description-error"<?cs /if ?><?cs /if ?>><?cs
      if:Page.posted == "import" ?><?cs call:field_error("description", "description") ?><?cs /if ?>
      <p class="help">Shown with the import in AWS.</p>
    </div>
    <div class="actions">
      <button type="submit" class="primary">Start the import</button>
    </div>
  </form><?cs
  /if ?>
</section>
<section class="panel" id="track">
  <h2>Track an import started elsewhere</h2>
  <p class="lead">An import task started outside this console (ImportImage, ImportInstance or
  ImportVolume): the connector looks it up in AWS, then follows it like its own.</p><?cs
  if:Page.posted == "track" ?><?cs call:form_error_notice("Not tracked.") ?><?cs
    if:!Errors.form && Errors.any ?>
  <div class="notice error" role="alert">
    <img src="/static/state-error.svg" alt="" width="20" height="20">
    <div><strong>Not tracked.</strong> Correct the fields marked below; nothing was changed.</div>
  </div><?cs /if ?><?cs /if ?><?cs
  if:Page.registered ?>
  <form method="post" action="/migrations/track">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <div class="field<?cs if:Errors.task_id && Page.posted == "track" ?> invalid<?cs /if ?>">
      <label for="task_id">Import task id</label>
      <input id="task_id" name="task_id" maxlength="28" autocomplete="off" spellcheck="false"
        value="<?cs if:Page.posted == "track" ?><?cs var:Page.form.task_id ?><?cs /if ?>"<?cs
        if:Page.posted == "track" ?><?cs call:focus_on_error("task_id") ?><?cs if:Errors.task_id ?> aria-describedby="task_id-error"<?cs /if ?><?cs /if ?>><?cs
      if:Page.posted == "track" ?><?cs call:field_error("task_id", "task_id") ?><?cs /if ?>
      <p class="help">Such as <code>import-ami-0123456789abcdef0</code> or <code>import-i-ffvko9js</code>.</p>
    </div>
    <div class="field<?cs if:Errors.vm_id && Page.posted == "track" ?> invalid<?cs /if ?>">
      <label for="track-vm_id">vCenter VM id</label>
      <input id="track-vm_id" name="vm_id" maxlength="80" autocomplete="off" spellcheck="false"
        value="<?cs if:Page.posted == "track" ?><?cs var:Page.form.vm_id ?><?cs /if ?>"<?cs
        if:Page.posted == "track" ?><?cs call:focus_on_error("vm_id") ?><?cs if:Errors.vm_id ?> aria-describedby="track-vm_id-error"<?cs /if ?><?cs /if ?>><?cs
      if:Page.posted == "track" ?><?cs call:field_error("vm_id", "track-vm_id") ?><?cs /if ?>
    </div>
    <div class="field<?cs if:Errors.vm_name && Page.posted == "track" ?> invalid<?cs /if ?>">
      <label for="track-vm_name">VM name</label>
      <input id="track-vm_name" name="vm_name" maxlength="255" autocomplete="off"
        value="<?cs if:Page.posted == "track" ?><?cs var:Page.form.vm_name ?><?cs /if ?>"<?cs
        if:Page.posted == "track" ?><?cs call:focus_on_error("vm_name") ?><?cs if:Errors.vm_name ?> aria-describedby="track-vm_name-error"<?cs /if ?><?cs /if ?>><?cs
      if:Page.posted == "track" ?><?cs call:field_error("vm_name", "track-vm_name") ?><?cs /if ?>
    </div>
    <div class="field<?cs if:Errors.region && Page.posted == "track" ?> invalid<?cs /if ?>">
      <label for="track-region">Region</label><?cs
      call:region_select("track") ?><?cs
      if:Page.posted == "track" ?><?cs call:field_error("region", "track-region") ?><?cs /if ?>
    </div>
    <div class="actions">
      <button type="submit" class="primary">Track the import</button>
    </div>
  </form><?cs
  else ?>
  <p class="state unknown"><img src="/static/state-unknown.svg" alt="" width="16" height="16">Not available — the connector is not registered.</p><?cs
  /if ?>
</section>
<?cs include:"footer.cs" ?>
