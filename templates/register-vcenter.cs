<?cs include:"header.cs" ?>
<?cs include:"register-steps.cs" ?>
<section class="panel">
  <h2>1a. vCenter</h2>
  <p class="lead">The vCenter this connector serves. The connector connects to it,
  reads its certificate and shows it to you before anything else is sent.</p><?cs
  call:form_notice() ?>
  <form method="post" action="/register/vcenter">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <div class="field<?cs if:Errors.vcenter_host ?> invalid<?cs /if ?>">
      <label for="vcenter_host">vCenter host name or IP address</label>
      <input id="vcenter_host" name="vcenter_host" value="<?cs var:Page.form.vcenter_host ?>"
        maxlength="259" autocomplete="off" spellcheck="false" required autofocus<?cs
        if:Errors.vcenter_host ?> aria-describedby="vcenter_host-error"<?cs /if ?>><?cs
      call:field_error("vcenter_host", "vcenter_host") ?>
      <p class="help">For example <code>vcenter.example.com</code> or <code>192.0.2.10:8443</code>:
      a host name or IPv4 address, then an optional port. Not a URL.</p>
    </div>
    <div class="actions">
      <button type="submit" class="primary">Connect and show the certificate</button>
    </div>
  </form>
</section>
<?cs include:"register-discard.cs" ?>
<?cs include:"footer.cs" ?>
