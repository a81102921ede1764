<?cs include:"header.cs" ?>
<?cs include:"register-steps.cs" ?>
<section class="panel">
  <h2>1c. vCenter service account</h2>
  <p class="lead">The account the connector uses with <strong><?cs var:Page.form.host ?></strong>.
  The connector signs in with it now to check it, and keeps the password encrypted.</p><?cs
  call:form_notice() ?>
  <form method="post" action="/register/credentials">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <div class="field<?cs if:Errors.vcenter_user ?> invalid<?cs /if ?>">
      <label for="vcenter_user">User name</label>
      <input id="vcenter_user" name="vcenter_user" value="<?cs var:Page.form.vcenter_user ?>"
        maxlength="65" autocomplete="username" spellcheck="false" required<?cs
        if:Errors.vcenter_user || !Errors.vcenter_password ?> autofocus<?cs /if ?><?cs
        if:Errors.vcenter_user ?> aria-describedby="vcenter_user-error"<?cs /if ?>><?cs
      call:field_error("vcenter_user", "vcenter_user") ?>
      <p class="help"><code>DOMAIN\user</code> or <code>user</code>; each part starts with a letter
      and has letters, digits, <code>.</code>, <code>_</code> and <code>-</code>. Case matters.</p>
    </div>
    <div class="field<?cs if:Errors.vcenter_password ?> invalid<?cs /if ?>">
      <label for="vcenter_password">Password</label>
      <input id="vcenter_password" type="password" name="vcenter_password" maxlength="256"
        autocomplete="off"<?cs if:!Page.stored_password ?> required<?cs /if ?><?cs
        call:focus_on_error("vcenter_password") ?><?cs
        if:Errors.vcenter_password ?> aria-describedby="vcenter_password-error"<?cs /if ?>><?cs
      call:field_error("vcenter_password", "vcenter_password") ?><?cs
      if:Page.stored_password ?>
      <p class="help">A password is stored. Leave this empty to keep it.</p><?cs /if ?>
    </div>
    <div class="actions">
      <button type="submit" class="primary">Sign in to vCenter and continue</button>
      <a class="button" href="/register/vcenter">Back</a>
    </div>
  </form>
</section>
<?cs include:"register-discard.cs" ?>
<?cs include:"footer.cs" ?>
