<?cs def:focus_on_error(name) ?><?cs if:Errors[name] ?> autofocus<?cs /if ?><?cs /def ?><?cs
def:field_error(name, id) ?><?cs
  if:Errors[name] ?>
      <p class="error" id="<?cs var:id ?>-error"><?cs var:Errors[name] ?></p><?cs
  /if ?><?cs /def ?><?cs
def:form_error_notice(heading) ?><?cs
  if:Errors.form ?>
  <div class="notice error" role="alert">
    <img src="/static/state-error.svg" alt="" width="20" height="20">
    <div><strong><?cs var:heading ?></strong> <?cs var:Errors.form ?></div>
  </div><?cs
  /if ?><?cs /def ?><?cs
def:form_notice() ?><?cs
  if:Errors.form ?><?cs
    call:form_error_notice("Not saved.") ?><?cs
  elif:Errors.any ?>
  <div class="notice error" role="alert">
    <img src="/static/state-error.svg" alt="" width="20" height="20">
    <div><strong>Not saved.</strong> Correct the fields marked below; nothing was changed.</div>
  </div><?cs
  /if ?><?cs /def ?>
