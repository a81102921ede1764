<?cs include:"header.cs" ?>
<?cs include:"register-steps.cs" ?>
<section class="panel">
  <h2>4. Management portal key</h2><?cs
  if:Page.form.account ?>
  <p class="state ok"><img src="/static/state-ok.svg" alt="" width="16" height="16"><span>OK — AWS accepted the keys:
  account <?cs var:Page.form.account ?>, <span class="fp"><?cs var:Page.form.arn ?></span>.</span></p><?cs /if ?>
  <p class="lead">Upload the configuration file that the management portal's setup produced
  ("Download Configuration"). It holds the AMP-connector key, which establishes trust
  between the portal and this connector; it is stored encrypted.</p><?cs
  call:form_notice() ?>
  <form method="post" action="/register/portal" enctype="multipart/form-data">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <div class="field<?cs if:Errors.portal_config ?> invalid<?cs /if ?>">
      <label for="portal_config">Configuration file</label>
      <input id="portal_config" type="file" name="portal_config" accept=".json,application/json"<?cs
        call:focus_on_error("portal_config") ?><?cs
        if:Errors.portal_config ?> aria-describedby="portal_config-error"<?cs /if ?>><?cs
      call:field_error("portal_config", "portal_config") ?><?cs
      if:Page.form.key_id ?>
      <p class="help">Stored: key <strong><?cs var:Page.form.key_name ?></strong>
      (<code><?cs var:Page.form.key_id ?></code>) for <code><?cs var:Page.form.endpoint ?></code>.
      Choose a file only to replace it.</p><?cs
      else ?>
      <p class="help">A small JSON file, at most 16 KiB. If it is refused, download it again
      from the portal's setup and upload it unchanged.</p><?cs /if ?>
    </div>
    <div class="actions">
      <button type="submit" class="primary" name="action" value="upload">Upload and continue</button><?cs
      if:Page.form.key_id ?>
      <button type="submit" class="secondary" name="action" value="keep">Keep the stored key</button><?cs /if ?>
      <a class="button" href="/register/aws">Back</a>
    </div>
  </form>
</section>
<?cs include:"register-discard.cs" ?>
<?cs include:"footer.cs" ?>
