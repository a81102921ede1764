<?cs include:"header.cs" ?>
<?cs include:"macros.cs" ?>
<h1>Unregister the connector</h1>
<section class="panel"><?cs
if:!Page.registered ?>
  <p class="state unknown"><img src="/static/state-unknown.svg" alt="" width="16" height="16">This connector is not registered.</p>
  <p><a href="/register">Register the connector</a></p><?cs
else ?>
  <p class="consequence">This removes the connector's plugin from vCenter <strong><?cs var:Page.vc_host ?></strong>,
  tells the management portal, and deletes the stored vCenter, AWS, proxy and portal credentials.
  Migrations can no longer be started from the portal.</p>
  <p class="lead">Sign in with a vCenter account that may manage extensions; it is used once
  and not kept.</p><?cs
  call:form_notice() ?>
  <form method="post" action="/unregister">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <div class="field<?cs if:Errors.vcenter_user ?> invalid<?cs /if ?>">
      <label for="vcenter_user">vCenter user name</label>
      <input id="vcenter_user" name="vcenter_user" value="<?cs var:Page.form.vcenter_user ?>"
        maxlength="65" autocomplete="off" spellcheck="false" required<?cs
        if:Errors.vcenter_user || !Errors.any ?> autofocus<?cs /if ?><?cs
        if:Errors.vcenter_user ?> aria-describedby="vcenter_user-error"<?cs /if ?>><?cs
      call:field_error("vcenter_user", "vcenter_user") ?>
    </div>
    <div class="field<?cs if:Errors.vcenter_password ?> invalid<?cs /if ?>">
      <label for="vcenter_password">Password</label>
      <input id="vcenter_password" type="password" name="vcenter_password" maxlength="256"
        autocomplete="off" required<?cs call:focus_on_error("vcenter_password") ?><?cs if:Errors.vcenter_password ?> aria-describedby="vcenter_password-error"<?cs /if ?>><?cs
      call:field_error("vcenter_password", "vcenter_password") ?>
    </div>
    <div class="actions">
      <button type="submit" class="danger" name="action" value="unregister">Unregister</button>
      <a class="button" href="/">Cancel</a>
    </div>
  </form><?cs
  if:Page.offer_clear ?>
  <form method="post" action="/unregister" class="second-confirm">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <h2>vCenter cannot be reached</h2>
    <p>You can make the connector forget its registration anyway. The plugin then stays
    registered in vCenter until someone removes it there.</p>
    <div class="field check<?cs if:Errors.confirm ?> invalid<?cs /if ?>">
      <input id="confirm" type="checkbox" name="confirm" value="clear"<?cs
        call:focus_on_error("confirm") ?><?cs
        if:Errors.confirm ?> aria-describedby="confirm-error"<?cs /if ?>>
      <label for="confirm">Yes, clear this connector's registration without vCenter</label><?cs
      call:field_error("confirm", "confirm") ?>
    </div>
    <div class="actions">
      <button type="submit" class="danger" name="action" value="clear-local">Clear the local registration</button>
    </div>
  </form><?cs /if ?><?cs
/if ?>
</section>
<?cs include:"footer.cs" ?>
