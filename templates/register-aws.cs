<?cs include:"header.cs" ?>
<?cs include:"register-steps.cs" ?>
<section class="panel">
  <h2>3. AWS</h2>
  <p class="lead">The AWS region and the access keys the connector uses. They are checked
  with AWS before they are kept, and the secret is stored encrypted.</p><?cs
  call:form_notice() ?>
  <form method="post" action="/register/aws">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <div class="field<?cs if:Errors.region ?> invalid<?cs /if ?>">
      <label for="region">Region</label>
      <select id="region" name="region"<?cs call:focus_on_error("region") ?><?cs if:Errors.region ?> aria-describedby="region-error"<?cs /if ?>><?cs
      each:r = Page.regions ?>
        <option value="<?cs var:r.name ?>"<?cs if:r.selected ?> selected<?cs /if ?>><?cs var:r.name ?></option><?cs
      /each ?>
      </select><?cs
      call:field_error("region", "region") ?>
    </div>
    <div class="field<?cs if:Errors.access_key_id ?> invalid<?cs /if ?>">
      <label for="access_key_id">Access key ID</label>
      <input id="access_key_id" name="access_key_id" value="<?cs var:Page.form.access_key_id ?>"
        maxlength="128" autocomplete="off" spellcheck="false" required<?cs
        call:focus_on_error("access_key_id") ?><?cs
        if:Errors.access_key_id ?> aria-describedby="access_key_id-error"<?cs /if ?>><?cs
      call:field_error("access_key_id", "access_key_id") ?>
    </div>
    <div class="field<?cs if:Errors.secret_access_key ?> invalid<?cs /if ?>">
      <label for="secret_access_key">Secret access key</label>
      <input id="secret_access_key" type="password" name="secret_access_key" maxlength="128"
        autocomplete="off"<?cs if:!Page.stored_secret ?> required<?cs /if ?><?cs
        call:focus_on_error("secret_access_key") ?><?cs
        if:Errors.secret_access_key ?> aria-describedby="secret_access_key-error"<?cs /if ?>><?cs
      call:field_error("secret_access_key", "secret_access_key") ?><?cs
      if:Page.stored_secret ?>
      <p class="help">A secret is stored for the key ID above. Leave this empty to keep it.</p><?cs /if ?>
    </div>
    <div class="field<?cs if:Errors.session_token ?> invalid<?cs /if ?>">
      <label for="session_token">Session token (optional)</label>
      <input id="session_token" type="password" name="session_token" maxlength="4096"
        autocomplete="off"<?cs call:focus_on_error("session_token") ?><?cs if:Errors.session_token ?> aria-describedby="session_token-error"<?cs /if ?>><?cs
      call:field_error("session_token", "session_token") ?>
      <p class="help">Only for temporary keys.</p>
    </div>
    <div class="actions">
      <button type="submit" class="primary">Check with AWS and continue</button>
      <a class="button" href="/register/proxy">Back</a>
    </div>
  </form>
</section>
<?cs include:"register-discard.cs" ?>
<?cs include:"footer.cs" ?>
